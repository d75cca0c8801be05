#!/usr/bin/env python3
"""Writes amanah's man page (section 1, roff) from its command tree.

The tree comes from `amanah --experimental-dump-help` (swift-argument-parser's JSON description of every
command, option and argument); commands marked hidden (internal child processes) are left out.

Usage: scripts/make-man.py [--binary PATH] [-o FILE]   (default binary .build/debug/amanah, output stdout)
"""
import argparse
import json
import subprocess
import sys


def roff(text):
    """Text safe in a roff paragraph: backslashes and hyphens escaped, non-ASCII as \\[uXXXX], no line starting
    with a control character."""
    text = (text or "").replace("\\", "\\e").replace("-", "\\-")
    # Characters beyond ASCII (Arabic examples) as groff's Unicode escapes, so no input encoding is assumed.
    text = "".join(ch if ord(ch) < 128 else "\\[u%04X]" % ord(ch) for ch in text)
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def option_label(argument):
    names = []
    for name in sorted(argument.get("names", []), key=lambda n: n["kind"] != "short"):
        names.append(("-" if name["kind"] == "short" else "--") + name["name"])
    label = ", ".join(names) if names else argument.get("valueName", "").upper()
    if argument["kind"] == "option":
        label += " " + argument.get("valueName", "value").upper()
    elif argument["kind"] == "positional":
        label = argument.get("valueName", "arg").upper()
        if argument.get("isRepeating"):
            label += "..."
    return label


def command_section(command, path, out):
    if not command.get("shouldDisplay", True):
        return
    name = " ".join(path)
    if len(path) > 1:
        out.append('.SS "%s"' % roff(name))
        out.append(roff(command.get("abstract", "")))
        if command.get("discussion"):
            out.append(".PP")
            out.append(roff(command["discussion"]))
        for argument in command.get("arguments", []):
            if not argument.get("shouldDisplay", True):
                continue
            if argument.get("preferredName", {}).get("name") in ("help", "version") and argument["kind"] == "flag":
                continue
            out.append(".TP")
            out.append("\\fB%s\\fR" % roff(option_label(argument)))
            out.append(roff(argument.get("abstract", "")))
    for sub in command.get("subcommands", []):
        if sub.get("commandName") == "help":
            continue
        command_section(sub, path + [sub["commandName"]], out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=".build/debug/amanah")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    tree = json.loads(subprocess.run([args.binary, "--experimental-dump-help"], check=True, capture_output=True).stdout)["command"]
    version = subprocess.run([args.binary, "--version"], check=True, capture_output=True, text=True).stdout.strip()
    out = ['.TH AMANAH 1 "" "amanah %s" "User Commands"' % roff(version),
           ".SH NAME", "amanah \\- " + roff(tree.get("abstract", "")),
           ".SH SYNOPSIS", "\\fBamanah\\fR \\fICOMMAND\\fR [\\fISUBCOMMAND\\fR] [\\fIOPTIONS\\fR] [\\fB\\-C\\fR \\fIVAULT\\fR] [\\fB\\-i\\fR \\fIKEY\\fR]",
           ".SH DESCRIPTION", roff(tree.get("discussion", "") or tree.get("abstract", "")),
           ".SH COMMANDS"]
    command_section(tree, ["amanah"], out)
    out += [".SH EXIT STATUS",
            "0 success; 1 failure; 2 not found or unreadable input; 3 verification failed; 64 usage error.",
            ".SH SEE ALSO", "age(1), minisign(1), sha256sum(1); README.md, DESIGN.md and SECURITY.md of the source."]
    text = "\n".join(out) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
