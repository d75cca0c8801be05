#!/usr/bin/env python3
"""Checks that every Swift target imports only the modules it declares in Package.swift.

SwiftPM's own `--explicit-target-dependency-import-check` accepts a module that arrives through another
dependency (a transitive import), so a target can compile against a module it never declared. This check
is stricter: each `import M` in a target's sources must name the target itself, a dependency declared on
that target (a target by name, or a product, whose module has the product's name), or a module of the
toolchain. `@_exported import` is refused everywhere. A declared dependency that no source file imports is
reported (drop it), and the layering of DESIGN.md ("Modules") is checked on the declared dependencies: a
module depends only on modules below it in LAYERS, and never on one that NEVER names for it.

All SQL lives in VaultStore (DESIGN.md, "Modules"): a Swift file under Sources/ but outside Sources/VaultStore
that contains `sql:` (an SQL string handed to GRDB) or `Column("` (a column named by a string) is reported;
such a query belongs in a typed function of VaultStore (`Sources/VaultStore/Queries`).

Usage: scripts/check-imports.py            check the package (exit 1 and one line per problem)
       scripts/check-imports.py --self-test also show that an undeclared import is caught in every target,
                                            and SQL outside VaultStore in every module that has Swift files
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Modules of the toolchain and the C library: not declared in Package.swift.
TOOLCHAIN = {
    "Foundation", "FoundationEssentials", "FoundationInternationalization", "FoundationNetworking",
    "FoundationXML", "CoreFoundation", "Dispatch", "Glibc", "Musl", "Darwin", "Android", "WinSDK",
    "Testing", "XCTest", "Synchronization", "Observation", "RegexBuilder", "_Concurrency", "Swift",
    "SwiftShims", "_StringProcessing", "os",
}

# The module order of DESIGN.md, lowest first: a product module may depend only on modules before it.
LAYERS = [
    "CPlatform", "CSodium", "CZlib", "CVips", "CVipsShim", "VaultText", "VaultPlatform", "VaultCrypto",
    "VaultFormats", "VaultRemote", "VaultStore", "VaultPolicy", "VaultAudit", "VaultTime", "VaultImaging", "VaultGovernance",
    "VaultDisclosure", "Vault", "VaultGovernanceUseCases", "VaultDisclosureUseCases", "VaultSync", "AmanahAgent", "AmanahCLI", "amanah", "amanah-bench", "TestSupport",
]
# Dependencies a module must never have even though they sit below it.
NEVER = {
    "VaultDisclosure": {"VaultStore", "GRDB", "VaultGovernance"},  # a recipient-side verifier needs no database
    "VaultGovernance": {"VaultImaging"},
    "VaultCrypto": {"VaultText"},
    "VaultPlatform": {"VaultText"},
    "amanah-bench": {"AmanahCLI", "AmanahAgent"},
}

IMPORT = re.compile(
    r"^\s*((?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*)"          # attributes (@testable, @_exported, @preconcurrency)
    r"(?:(?:public|package|internal|fileprivate|private)\s+)?"
    r"import\s+(?:(?:struct|class|enum|protocol|typealias|func|let|var|actor)\s+)?"
    r"([A-Za-z_][A-Za-z0-9_]*)")


def package():
    out = subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def target_folder(target):
    if target.get("path"):
        return os.path.join(ROOT, target["path"])
    base = "Tests" if target["type"] == "test" else "Sources"
    return os.path.join(ROOT, base, target["name"])


def declared(target):
    names = {target["name"].replace("-", "_")}
    for dependency in target["dependencies"]:
        kind, value = next(iter(dependency.items()))
        names.add(value[0])  # byName / target: the target's name; product: the product's name (its module)
    return names


def swift_files(folder):
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = [s for s in subfolders if s not in ("Vectors", "Fixtures")]
        for name in sorted(files):
            if name.endswith(".swift"):
                yield os.path.join(directory, name)


def dependency_names(target):
    return [next(iter(d.values()))[0] for d in target["dependencies"]]


def layering_problems(target):
    name = target["name"]
    if name not in LAYERS:
        return [] if target["type"] == "test" else [f"Package.swift: target {name} is not placed in LAYERS (scripts/check-imports.py)"]
    found = []
    for dependency in dependency_names(target):
        if dependency in LAYERS and LAYERS.index(dependency) >= LAYERS.index(name):
            found.append(f"Package.swift: {name} depends on {dependency}, which is not below it (DESIGN.md, Modules)")
        if dependency in NEVER.get(name, set()):
            found.append(f"Package.swift: {name} must never depend on {dependency} (DESIGN.md, Modules)")
    return found


def unused_dependencies(target, imported):
    return [f"Package.swift: target {target['name']} declares {d} but never imports it (drop it)"
            for d in dependency_names(target) if d not in imported and d != "SystemPackage"]


def problems_in(target, extra_line=None):
    allowed = declared(target) | TOOLCHAIN
    found = []
    imported = set()
    sources = list(swift_files(target_folder(target)))
    for path in sources:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().split("\n")
        if extra_line is not None and path == sources[0]:
            lines = [extra_line] + lines
        in_literal = False  # inside a multi-line string literal ("""), where `import` is text
        for number, line in enumerate(lines, 1):
            if line.count('"""') % 2 == 1:
                in_literal = not in_literal
                continue
            if in_literal:
                continue
            match = IMPORT.match(line)
            if not match:
                continue
            attributes, module = match.group(1), match.group(2)
            imported.add(module)
            where = f"{os.path.relpath(path, ROOT)}:{number}"
            if "@_exported" in attributes:
                found.append(f"{where}: @_exported import {module} (re-exporting hides a dependency; import it where it is used)")
            if module not in allowed:
                found.append(f"{where}: target {target['name']} imports {module} without declaring it in Package.swift")
    return found + unused_dependencies(target, imported) + layering_problems(target)


# Where SQL may be written (DESIGN.md, "Modules"), and what counts as SQL outside it.
SQL_HOME = os.path.join("Sources", "VaultStore")
SQL_MARKERS = ("sql:", 'Column("')


def sql_problems(planted=None):
    """Lines of Swift files under Sources/, outside SQL_HOME, that contain an SQL marker. `planted`, a
    (path, line) pair, adds a line at the top of that file (self-test)."""
    found = []
    for folder in sorted(os.listdir(os.path.join(ROOT, "Sources"))):
        for path in swift_files(os.path.join(ROOT, "Sources", folder)):
            relative = os.path.relpath(path, ROOT)
            if relative == SQL_HOME or relative.startswith(SQL_HOME + os.sep):
                continue
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().split("\n")
            if planted is not None and planted[0] == path:
                lines = [planted[1]] + lines
            for number, line in enumerate(lines, 1):
                marker = next((m for m in SQL_MARKERS if m in line), None)
                if marker is not None:
                    found.append(f"{relative}:{number}: `{marker}` outside VaultStore: move the query into a typed "
                                 "function of VaultStore (Sources/VaultStore/Queries)")
    return found


def sql_self_test(targets):
    """Plants each SQL marker in the first Swift file of every source target under Sources/ (and in VaultStore,
    where it is allowed); returns the problems of the self-test. Test support under Tests/ (`TestSupport`) is
    test code, which the rule does not cover."""
    failures = []
    for target in targets:
        if target["type"] == "test" or not os.path.relpath(target_folder(target), ROOT).startswith("Sources" + os.sep):
            continue
        first = next(swift_files(target_folder(target)), None)
        if first is None:
            continue
        inside = os.path.relpath(first, ROOT).startswith(SQL_HOME + os.sep)
        for line in ('try db.execute(sql: "DELETE FROM item")', 'let planted = Column("caseID")'):
            caught = any(p.startswith(os.path.relpath(first, ROOT) + ":1:") for p in sql_problems((first, line)))
            if caught == inside:
                failures.append(f"check-imports: self-test: `{line}` in {target['name']} was "
                                + ("reported, though VaultStore may hold SQL" if inside else "not caught"))
    return failures


def main():
    targets = [t for t in package()["targets"] if t["type"] in ("regular", "executable", "test")]
    targets = [t for t in targets if any(True for _ in swift_files(target_folder(t)))]
    problems = [p for t in targets for p in problems_in(t)] + sql_problems()
    for problem in problems:
        print("check-imports: " + problem)
    if "--self-test" in sys.argv:
        for target in targets:
            planted = problems_in(target, extra_line="import UndeclaredModuleForTheSelfTest")
            if not any("UndeclaredModuleForTheSelfTest" in p for p in planted):
                print(f"check-imports: self-test: an undeclared import in {target['name']} was not caught")
                problems.append("self-test")
        for name, planted_dependency in (("VaultDisclosure", "VaultStore"), ("VaultPlatform", "Vault"), ("VaultStore", "VaultStore")):
            target = next(t for t in targets if t["name"] == name)
            planted = dict(target, dependencies=target["dependencies"] + [{"byName": [planted_dependency, None]}])
            if not any(planted_dependency in p and "Modules" in p for p in layering_problems(planted)):
                print(f"check-imports: self-test: {name} depending on {planted_dependency} was not caught")
                problems.append("self-test")
        for failure in sql_self_test(targets):
            print(failure)
            problems.append("self-test")
        if not problems:
            print(f"check-imports: self-test: an undeclared import is caught in each of {len(targets)} targets, "
                  "a dependency against the layering is caught, and SQL outside VaultStore is caught")
    if problems:
        return 1
    print(f"check-imports: {len(targets)} targets import only what they declare; no SQL outside VaultStore")
    return 0


if __name__ == "__main__":
    sys.exit(main())
