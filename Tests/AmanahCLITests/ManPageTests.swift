import Foundation
import Testing

/// Issue 18: a man page generated from the command tree (hidden commands left out), and shell completion
/// scripts from the same tree.
@Suite("Man page and completions")
struct ManPageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Every command path of the tree, and whether it is shown.
    static func commands(_ node: [String: Any], _ path: [String], into out: inout [(String, Bool)]) {
        out.append((path.joined(separator: " "), node["shouldDisplay"] as? Bool ?? true))
        for sub in node["subcommands"] as? [[String: Any]] ?? [] where sub["commandName"] as? String != "help" {
            commands(sub, path + [sub["commandName"] as! String], into: &out)
        }
    }

    @Test("the man page has a section for every shown command and none for the hidden ones; completions name the commands")
    func manPageAndCompletions() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        let dumped = try cli.run(["--experimental-dump-help"])
        let tree = try #require((try JSONSerialization.jsonObject(with: Data(dumped.stdout.utf8)) as? [String: Any])?["command"] as? [String: Any])
        var all: [(String, Bool)] = []
        Self.commands(tree, ["amanah"], into: &all)
        let (status, page) = try runTool("python3", [Self.repository + "/scripts/make-man.py", "--binary", CLIHarness.executable], in: cli.folder)
        #expect(status == 0)
        #expect(page.hasPrefix(".TH AMANAH 1"))
        let sections = Set(page.split(separator: "\n").filter { $0.hasPrefix(".SS ") }.map { String($0.dropFirst(5).dropLast()).replacingOccurrences(of: "\\-", with: "-") })
        let shown = all.filter { $0.1 && $0.0 != "amanah" }.map(\.0)
        #expect(shown.count > 60)
        for command in shown { #expect(sections.contains(command), "\(command) has no section") }
        for (command, visible) in all where !visible { #expect(!sections.contains(command) && !page.contains(command.split(separator: " ").last!), "\(command) is hidden") }
        // Every command a person runs shows at least one example in its help.
        func leaves(_ node: [String: Any], _ path: [String]) -> [(String, String)] {
            guard node["shouldDisplay"] as? Bool ?? true else { return [] }
            let subs = (node["subcommands"] as? [[String: Any]] ?? []).filter { $0["commandName"] as? String != "help" }
            if subs.isEmpty { return [(path.joined(separator: " "), node["discussion"] as? String ?? "")] }
            return subs.flatMap { leaves($0, path + [$0["commandName"] as! String]) }
        }
        for (command, discussion) in leaves(tree, ["amanah"]) where command != "amanah" {
            #expect(discussion.contains("Example: amanah") || discussion.contains("Example: echo") || discussion.contains("Example: eval"), "\(command) has no example")
        }
        for expected in ["amanah case update", "amanah identification confirm", "amanah trust-restored", "amanah disclose status"] {
            #expect(sections.contains(expected), "\(expected)")
        }
        let bash = try cli.run(["--generate-completion-script", "bash"])
        #expect(bash.status == 0 && bash.stdout.contains("trust-restored") && bash.stdout.contains("identification"))
        let zsh = try cli.run(["--generate-completion-script", "zsh"])
        #expect(zsh.status == 0 && zsh.stdout.contains("#compdef amanah"))
    }
}
