import Foundation
import Testing
import VaultPolicy

/// Issue 18, search as Arabic speakers type: `witness search --name` decrypts the names the reader may read
/// and matches them in memory (`NameSearch`).
@Suite("Witness name search as people type")
struct NameSearchTests {
    @Test("letter variants, diacritics, tatweel, word order, prefixes and extra spaces match; other names do not",
          arguments: [("الحلبي احمد", true), ("أحمد   الحلبي", true), ("أَحْمَد", true), ("احـــمد", true), ("ٱحمد", true), ("احم", true),
                      ("الحلب أحم", true), ("محمد", false), ("أحمد الحلبي الكبير", false), ("   ", false)])
    func queries(query: String, found: Bool) {
        #expect(NameSearch.matches(query, "أحمد الحلبي") == found, "\(query)")
    }

    @Test("ta marbuta and ha, alef maqsura and ya, hamza on waw and ya, Persian letters and digits, Latin case and accents")
    func letterVariants() {
        #expect(NameSearch.matches("فاطمه", "فاطمة الزهراء"))
        #expect(NameSearch.matches("مصطفي", "مصطفى"))
        #expect(NameSearch.matches("مسوول", "مسؤول"))
        #expect(NameSearch.matches("هاني", "هانئ"))
        #expect(NameSearch.matches("کریم", "كريم"))
        #expect(NameSearch.matches("215", "Cell ٢١٥"))
        #expect(NameSearch.matches("jose", "José Álvarez"))
        #expect(!NameSearch.matches("جوزيف", "José Álvarez"))
        // Each query word takes a different word of the name.
        #expect(!NameSearch.matches("احمد احمد", "أحمد الحلبي"))
        #expect(NameSearch.matches("احمد احمد", "أحمد بن أحمد"))
    }

    @Test("through the CLI: a protection officer finds an Arabic name however it is typed, and nothing else")
    func throughTheCLI() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.cli.write("w.json", #"[{"pseudonym":"W-0101","legalName":"أحمد الحلبي"},{"pseudonym":"W-0102","legalName":"فاطمة الزهراء"},{"pseudonym":"W-0103","legalName":"محمد الحلبي"}]"#)
        #expect(try vault.run("protection-officer", ["witness", "add", "--from", "w.json"]).status == 0)
        for (query, found) in [("الحلبي احمد", ["W-0101"]), ("الحلبي", ["W-0101", "W-0103"]), ("فاطمه", ["W-0102"]), ("احم الحل", ["W-0101"]), ("سعيد", [])] {
            let result = try vault.run("protection-officer", ["witness", "search", "--name", "-", "--json"], stdin: query + "\n")
            #expect(result.status == 0, "\(result.stderr)")
            let ids = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String]
            #expect(ids == found, "\(query): \(result.stdout)")
        }
        #expect(try vault.run("investigator", ["witness", "search", "--name", "احمد"]).status != 0)
    }

    @Test("case search: identified names as typed (in memory, identity readers only); detainee numbers whatever their spaces and digits")
    func caseSearch() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        try vault.cli.write("c.json", #"[{"id":"C-11","detaineeNumber":"5120 / 227","identifiedName":"أحمد الحلبي"},{"id":"C-12","identifiedName":"فاطمة الزهراء"},{"id":"C-13","detaineeNumber":"61 20/ 227"}]"#)
        let added = try vault.run("protection-officer", ["case", "add", "--from", "c.json"])
        #expect(added.status == 0, "\(added.stderr)")
        for (query, found) in [("الحلبي احمد", ["C-11"]), ("فاطمه", ["C-12"]), ("Test person", ["C-1"]), ("سعيد", [])] {
            let result = try vault.run("protection-officer", ["case", "search", "--name", "-", "--json"], stdin: query + "\n")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String] == found, "\(query): \(result.stdout)")
        }
        #expect(try vault.run("investigator", ["case", "search", "--name", "احمد"]).status != 0)
        for (query, found) in [("3456/215", ["C-1"]), ("٣٤٥٦ / ٢١٥", ["C-1"]), (" ۳۴۵۶/۲۱۵ ", ["C-1"]), ("5120/227", ["C-11"]), ("5120 / 227", ["C-11"]), ("6120/227", ["C-13"]), ("٦١٢٠ /٢٢٧", ["C-13"]), ("3456/216", [])] {
            let result = try vault.run("investigator", ["case", "search", "--detainee", "-", "--json"], stdin: query + "\n")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String] == found, "\(query): \(result.stdout)")
        }
        #expect(try vault.run("investigator", ["case", "search"]).status == 64)
    }
}
