import Foundation
import Testing
@testable import VaultDisclosure

/// Issue 20: the bundle's index files carry what people typed without letting it act: CSV cells that a
/// spreadsheet would run as formulas are defused and quoted as RFC 4180 says; HTML is escaped.
@Suite("Bundle index")
struct BundleIndexTests {
    @Test("CSV cells: formulas defused, commas, quotes and line breaks quoted")
    func csvCells() {
        #expect(BundleIndex.csvCell("C-1") == "C-1")
        #expect(BundleIndex.csvCell("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"")
        #expect(BundleIndex.csvCell("+1") == "'+1" && BundleIndex.csvCell("-2") == "'-2" && BundleIndex.csvCell("@sum") == "'@sum")
        #expect(BundleIndex.csvCell("a,b") == "\"a,b\"" && BundleIndex.csvCell("two\nlines") == "\"two\nlines\"")
        #expect(BundleIndex.csvCell("٣٤٥٦/٢١٥") == "٣٤٥٦/٢١٥")
    }

    @Test("HTML: a case label cannot open an element or an attribute; a row without a thumbnail says so")
    func htmlEscaped() {
        let row = BundleIndex.Row(productionNumber: "DT-0001-0001", file: "items/DT-0001-0001.pdf", mediaType: "application/pdf", size: 3,
                                  sha256: String(repeating: "a", count: 64), datePhotographed: "", caseLabel: "<img src=x onerror=alert(1)>\"'",
                                  categoriesMasked: [], thumbnail: nil)
        let html = BundleIndex(bundle: "DT-0001", organisation: "A & B", categories: [:], rows: [row]).html
        #expect(!html.contains("<img src=x") && html.contains("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;") && html.contains("A &amp; B"))
        #expect(html.contains("<td>—</td>") && html.contains("default-src 'none'"))
    }
}
