import VaultText
import Testing
@testable import VaultPolicy

/// Hostile documents are refused with an error, never a crash.
@Suite struct HostileInputTests {
    @Test func deeplyNestedArraysAreRefused() {
        let text = "version = 1\nclassifications = " + String(repeating: "[", count: 100_000)
            + String(repeating: "]", count: 100_000) + "\n"
        let error = Fixture.parseError(text)
        #expect(error != nil)
        #expect(error?.code == .syntax || error?.code == .wrongType)
    }

    @Test func deeplyNestedInlineTablesAreRefused() {
        let text = "version = 1\nx = " + String(repeating: "{a=", count: 50_000) + "1" + String(repeating: "}", count: 50_000) + "\n"
        #expect(Fixture.parseError(text) != nil)
    }

    @Test func longStringsAndManyKeysAreHandled() {
        let long = "version = 1\nclassifications = [\"" + String(repeating: "a", count: 900_000) + "\"]\n"
        #expect(Fixture.parseError(long)?.keyPath == "classifications[0]")
        var many = "version = 1\nclassifications = [\"normal\"]\n[categories]\n"
        for index in 0..<20_000 { many += "K\(index) = { description = \"x\" }\n" }
        // Twenty thousand valid codes are read; the document then lacks [places].
        #expect(Fixture.parseError(many) == PolicyError(.missingKey, at: "places", ""))
    }

    @Test func controlCharactersInNamesAreRefused() {
        let text = Fixture.defaultPolicy(replacing: "description = \"other\"\nreason-required = true",
                                         with: "description = \"oth\\u0007er\"\nreason-required = true")
        #expect(Fixture.parseError(text) == PolicyError(.invalidValue, at: "categories.E.description", ""))
    }
}

@Suite struct DisplayEscapingTests {
    @Test func controlAndBidiCharactersAreEscapedInRenderedDecisions() {
        let witness = WitnessFacts(pseudonym: "W-\u{202E}1000\u{202C}", consent: [])
        let decision = Policy.builtIn.decide(
            Subject(keyID: "k-legal", role: .legalOfficer), .disclose,
            Resource(compartments: [.media], witnesses: [witness], originalRevealsSource: true),
            RequestContext(profile: "tribunal-full", recipient: "evil\ntribunal\u{1B}[2J"))
        let text = decision.render()
        #expect(text.hasPrefix("deny\n"))
        #expect(text.contains("W-\\u{202E}1000\\u{202C}"))
        #expect(text.contains("evil\\ntribunal\\u{001B}[2J"))
        #expect(!text.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x1B })
        #expect(text.split(separator: "\n").count == 3)
    }

    @Test func escapingLeavesOrdinaryTextAlone() {
        #expect(TerminalText.escaped("شاهد اختبار W-0001") == "شاهد اختبار W-0001")
        // Line breaks stay only where the text is Amanah's own lines; a tab is a C0 control like any other.
        #expect(TerminalText.escaped("شاهد اختبار W-0001\n", keepingLineBreaks: true) == "شاهد اختبار W-0001\n")
        #expect(TerminalText.escaped("a\tb\n") == "a\\u{0009}b\\u{000A}")
        #expect(TerminalText.escaped("a\u{7F}b\u{85}c\u{2067}") == "a\\u{007F}b\\u{0085}c\\u{2067}")
    }
}
