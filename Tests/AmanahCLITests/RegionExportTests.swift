import Foundation
import Testing
import VaultCrypto

/// Regions and `export --profile` through the CLI (the imaging module tests the pixels in depth).
struct RegionExportTests {
    @Test func exportUnderPublicMasksRegionsAndStripsMetadata() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let photo = samplePhotos.first { $0.hasSuffix("DSCN0010.jpg") }!
        let item = try vault.ingest([photo])[0].0
        let added = try vault.run("investigator", ["region", "add", item, "100,100,200,150", "--category", "C", "--reason", "a street sign"])
        #expect(added.status == 0, "\(added.stderr)")
        let list = try vault.run("investigator", ["region", "list", item])
        #expect(list.stdoutLines.count == 1 && list.stdout.contains("100,100,200,150\t640x480\tC\ta street sign"))
        // Bad regions are refused with the reason.
        #expect(try vault.run("investigator", ["region", "add", item, "600,400,100,100", "--category", "A"]).stderr.contains("not inside the displayed image (640x480)"))
        #expect(try vault.run("investigator", ["region", "add", item, "1,1,2,2", "--category", "E"]).stderr.contains("category E needs a reason"))
        #expect(try vault.run("investigator", ["region", "add", item, "1,1,2,2", "--category", "Z"]).stderr.contains("unknown category Z"))
        #expect(try vault.run("collector", ["region", "add", item, "1,1,2,2", "--category", "A"]).stderr.contains("not permitted"))

        let exported = try vault.run("investigator", ["export", item, "--profile", "public", "-o", "public.jpg"])
        #expect(exported.status == 0, "\(exported.stderr)")
        let bytes = Array(try vault.cli.read("public.jpg"))
        #expect(bytes.starts(with: [0xFF, 0xD8]) && bytes.suffix(2) == [0xFF, 0xD9])
        let text = String(decoding: bytes, as: UTF8.self)
        for marker in ["Exif", "NIKON", "COOLPIX", "http://ns.adobe.com"] { #expect(!text.contains(marker), "\(marker) in the export") }
        // vips (libvips-tools) is installed by scripts/install-deps.sh.
        let inside = try runTool("vips", ["getpoint", "public.jpg", "200", "175"], in: vault.cli.folder)
        #expect(inside.1.trimmingCharacters(in: .whitespacesAndNewlines) == "0 0 0")
        let png = try vault.run("investigator", ["export", item, "--profile", "public", "-o", "public.png"])
        let pngBytes = Array(try vault.cli.read("public.png"))
        #expect(png.status == 0 && pngBytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // Not permitted under a profile the role may not export; the original is untouched.
        #expect(try vault.run("investigator", ["export", item, "--profile", "tribunal-full", "-o", "full.jpg"]).stderr.contains("not permitted"))
        #expect(try vault.run("investigator", ["export", item, "-o", "original.jpg"]).status == 0)
        #expect(try vault.cli.read("original.jpg") == Data(contentsOf: URL(fileURLWithPath: photo)))
        #expect(try vault.run("investigator", ["check", "--read-data"]).status == 0)
    }
}
