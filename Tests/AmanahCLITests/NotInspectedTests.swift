import Foundation
import Testing

/// Issue 21 (in part): a file whose metadata the vault does not parse is said to be not inspected, at ingest
/// and by `show`, never passed over in silence; a GIF's comment is read in the sandbox.
@Suite("Metadata not inspected")
struct NotInspectedTests {
    @Test("a PDF naming its author and a JPEG XL file: ingest warns that their metadata was not inspected, and show says so")
    func notInspectedIsSaid() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        try fixture.cli.write("statement.pdf", "%PDF-1.4\n1 0 obj << /Author (Abu Khalid) /Title (Statement) >> endobj\ntrailer << /Info 1 0 R >>\n%%EOF\n")
        try Data([0xFF, 0x0A, 0xFA, 0x7F, 0x01, 0x00]).write(to: URL(fileURLWithPath: fixture.cli.folder + "/frame.jxl"))
        let ingested = try fixture.run("investigator", ["ingest", "--case", "C-1", "-v", "statement.pdf", "frame.jxl"])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        #expect(!ingested.stderr.contains("carries identifying metadata"), "said once, as a warning: \(ingested.stderr)")
        #expect(ingested.stderr.contains("statement.pdf: metadata not inspected: Amanah does not parse PDF files"), "\(ingested.stderr)")
        #expect(ingested.stderr.contains("frame.jxl: metadata not inspected: Amanah does not parse JPEG XL files (image/jxl)"), "\(ingested.stderr)")
        let item = try #require(ingested.stdoutLines.first?.split(separator: "\t").first.map(String.init))
        let shown = try fixture.run("investigator", ["show", item])
        #expect(shown.stdout.contains("identifying metadata: metadata not inspected") && !shown.stdout.contains("none found"), "\(shown.stdout)")
    }

    @Test("a GIF's comment is found in the sandbox at ingest")
    func gifComment() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let text = Array("taken by Abu Khalid".utf8)
        var gif: [UInt8] = Array("GIF89a".utf8) + [0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00]
        gif += [0x21, 0xFE, UInt8(text.count)] + text + [0x00]
        gif += [0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B]
        try Data(gif).write(to: URL(fileURLWithPath: fixture.cli.folder + "/pixel.gif"))
        let ingested = try fixture.run("investigator", ["ingest", "--case", "C-1", "pixel.gif"])
        #expect(ingested.status == 0 && ingested.stderr.contains("carries identifying metadata") && ingested.stderr.lowercased().contains("comment"), "\(ingested.stderr)")
    }
}
