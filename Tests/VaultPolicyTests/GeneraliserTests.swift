import Testing
@testable import VaultPolicy

@Suite struct GeneraliserTests {
    @Test func datesToMonthAndYear() {
        let cases: [(String, String?, String?)] = [
            ("2013-05-04", "2013-05", "2013"),
            ("2013-05", "2013-05", "2013"),
            ("2013", "2013", "2013"),
            ("2013-05-04T12:34:56Z", "2013-05", "2013"),
            ("2013-05-04 12:34", "2013-05", "2013"),
            ("2013:05:04 12:34:56", "2013-05", "2013"),
            (" 2013-12-31 ", "2013-12", "2013"),
            ("\u{0662}\u{0660}\u{0661}\u{0663}-\u{0660}\u{0665}-\u{0660}\u{0664}", "2013-05", "2013"),
            ("0999-01-01", "0999-01", "0999"),
            ("2013-13-01", nil, nil),
            ("2013-00", nil, nil),
            ("2013-05-32", nil, nil),
            ("2013-5-4", nil, nil),
            ("2013:05", nil, nil),
            ("2013-05-04x", nil, nil),
            ("2013/05/04", nil, nil),
            ("04/05/2013", nil, nil),
            ("0000", nil, nil),
            ("201", nil, nil),
            ("", nil, nil),
            ("unknown", nil, nil),
        ]
        for (input, month, year) in cases {
            #expect(Generaliser.date(input, to: .month) == month, "\(input)")
            #expect(Generaliser.date(input, to: .year) == year, "\(input)")
        }
        #expect(Generaliser.date("2013-05-04", to: .region) == nil)
    }

    @Test func placesToRegions() throws {
        let places = Policy.builtIn.places
        #expect(places.fallback == .lastComponent)
        #expect(places.region(for: "Tishreen Military Hospital") == "Damascus")
        #expect(places.region(for: "  tishreen military HOSPITAL ") == "Damascus")
        #expect(places.region(for: "Mezzeh Military Hospital \u{0666}\u{0660}\u{0661}") == "Damascus")
        #expect(places.region(for: "Damascus") == "Damascus")
        #expect(places.region(for: "Mezzeh, Damascus") == "Damascus")
        #expect(places.region(for: "المزة، دمشق") == "دمشق")
        #expect(places.region(for: "Mezzeh") == nil)
        #expect(places.region(for: " , ") == nil)
        #expect(places.region(for: "") == nil)

        let first = try Policy(parsing: Fixture.defaultPolicy(replacing: "fallback = \"last-component\"",
                                                              with: "fallback = \"first-component\"")).places
        #expect(first.region(for: "Damascus, Mezzeh") == "Damascus")
        #expect(first.region(for: "Tishreen Military Hospital") == "Damascus")
        let withhold = try Policy(parsing: Fixture.defaultPolicy(replacing: "fallback = \"last-component\"",
                                                                 with: "fallback = \"withhold\"")).places
        #expect(withhold.region(for: "Mezzeh, Damascus") == nil)
        #expect(withhold.region(for: "Tishreen Military Hospital") == "Damascus")
    }

    @Test func placeTableKeysMatchNfdSpellings() throws {
        let nfc = "\u{0622}\u{0644}\u{0628}\u{0648}"
        let nfd = "\u{0627}\u{0653}\u{0644}\u{0628}\u{0648}"
        let policy = try Policy(parsing: Fixture.defaultPolicy(
            replacing: "\"Tishreen Military Hospital\" = \"Damascus\"",
            with: "\"Tishreen Military Hospital\" = \"Damascus\"\n\"\(nfd)\" = \"Region One\""))
        #expect(policy.places.region(for: nfc) == "Region One")
    }

    @Test func agesToRanges() {
        #expect(Generaliser.age("34", width: 10) == "30-39")
        #expect(Generaliser.age("\u{0663}\u{0664}", width: 10) == "30-39")
        #expect(Generaliser.age("0", width: 5) == "0-4")
        #expect(Generaliser.age("150", width: 10) == "150-159")
        #expect(Generaliser.age(" 7 ", width: 1) == "7-7")
        for bad in ["151", "-3", "3.5", "", "thirty", "0034", "1e2"] {
            #expect(Generaliser.age(bad, width: 10) == nil, "\(bad)")
        }
        #expect(Generaliser.age("34", width: 0) == nil)
    }

    @Test func normalisation() {
        #expect(TextNormalisation.normalise(" A\u{0301}\u{0661}\u{06F2}\t") == "\u{00C1}12")
        #expect(TextNormalisation.matchKey("ÀB") == "àb")
        // Bidi controls survive.
        #expect(TextNormalisation.normalise("\u{202E}x\u{202C}").unicodeScalars.count == 3)
    }
}
