import Foundation
import Testing
@testable import VaultImaging

/// The parent-side check of what the sandbox returns.
struct DerivativeStructureTests {
    /// A minimal JPEG made of the given segments (marker, body) between SOI and EOI, with a scan.
    func jpeg(_ segments: [(UInt8, [UInt8])], trailer: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        for (marker, body) in segments {
            out += [0xFF, marker, UInt8((body.count + 2) >> 8), UInt8((body.count + 2) & 0xFF)] + body
        }
        out += [0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0] + [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]
        out += [0xFF, 0xD9] + trailer
        return out
    }

    let jfif: [UInt8] = Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]

    @Test func cleanJPEGAndPNGPass() {
        #expect(DerivativeStructure.problem(jpeg([(0xE0, jfif), (0xDB, [0]), (0xC0, [8]), (0xC4, [0])]), format: .jpeg) == nil)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + [0, 0, 0, 1] + Array("IHDR".utf8) + [0] + [0, 0, 0, 0]
            + [0, 0, 0, 0] + Array("IEND".utf8) + [0, 0, 0, 0]
        #expect(DerivativeStructure.problem(png, format: .png) == nil)
        var withText = Array(png.prefix(8 + 13))
        withText += [0, 0, 0, 1] + Array("tEXt".utf8) + [0x41] + [0, 0, 0, 0] + Array(png.suffix(12))
        #expect(DerivativeStructure.problem(withText, format: .png)?.contains("tEXt") == true)
        #expect(DerivativeStructure.problem(png + [0], format: .png) == "1 bytes after IEND")
    }

    @Test func metadataThumbnailsAndTrailersAreRefused() throws {
        #expect(DerivativeStructure.problem(jpeg([(0xE1, Array("Exif".utf8) + [0, 0])]), format: .jpeg)?.contains("0xFFE1") == true)
        #expect(DerivativeStructure.problem(jpeg([(0xFE, Array("a comment".utf8))]), format: .jpeg)?.contains("0xFFFE") == true)
        #expect(DerivativeStructure.problem(jpeg([(0xE0, Array("JFXX".utf8) + [0, 0x10, 1, 2])]), format: .jpeg) != nil)
        #expect(DerivativeStructure.problem(jpeg([(0xE0, jfif), (0xE0, jfif)]), format: .jpeg) != nil)
        #expect(DerivativeStructure.problem(jpeg([(0xDB, [0])], trailer: [1, 2, 3]), format: .jpeg) == "3 bytes after the end of the image")
        // A real camera photograph is not a clean derivative (EXIF, thumbnail).
        let photo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("keys-example/photos/DSCN0010.jpg")
        #expect(DerivativeStructure.problem(Array(try Data(contentsOf: photo)), format: .jpeg) != nil)
    }
}
