import Foundation
import Testing
@testable import VaultImaging

/// Issue 16: the parent does not take a sandbox's metadata report as complete because it arrived. Reports of
/// real files pass the consistency checks; reports a compromised parser could send (a GPS position left out
/// of the summary, a size that does not follow from its orientation, another format) do not.
@Suite struct ReportConsistencyTests {
    /// The media type of a file by its name, not by what the parser says it read (which would make the
    /// format check agree with itself).
    static let mediaTypes: [String: String] = ["jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
                                               "gif": "image/gif", "tif": "image/tiff", "tiff": "image/tiff", "heic": "image/heic"]

    @Test func reportsOfRealFilesAreConsistent() throws {
        var checked = 0
        let names = try Vectors.sampleNames() + (try Vectors.caseNames(withExtensions: ["jpg", "jpeg", "png", "webp", "gif", "tif", "tiff", "heic"]))
        for name in names {
            let sample = try? Vectors.sample(name)
            let bytes = try sample ?? Vectors.caseFile(name)
            let report = MetadataExtractor.extract(bytes: bytes)
            guard let mediaType = Self.mediaTypes[(name as NSString).pathExtension.lowercased()] else { continue }
            #expect(ReportConsistency.problems(report, mediaType: mediaType) == [], "\(name)")
            checked += 1
        }
        #expect(checked >= 10, "only \(checked) files checked")
    }

    @Test func reportsACompromisedParserCouldSendAreNot() throws {
        let name = try #require(try Vectors.sampleNames().first { name in
            MetadataExtractor.extract(bytes: (try? Vectors.sample(name)) ?? []).gps.isEmpty == false
        }, "a sample photograph with GPS")
        let honest = MetadataExtractor.extract(bytes: try Vectors.sample(name))
        #expect(ReportConsistency.problems(honest, mediaType: "image/jpeg") == [])

        var quiet = honest
        quiet.identifyingSummary = []
        #expect(ReportConsistency.problems(quiet, mediaType: "image/jpeg") == ["it found GPS data but its summary does not say so"])
        var elsewhere = honest
        elsewhere.gps[0].latitude = 123
        #expect(ReportConsistency.problems(elsewhere, mediaType: "image/jpeg") == ["a GPS position is not on the earth"])
        #expect(ReportConsistency.problems(honest, mediaType: "image/png") == ["its format jpeg is not the file's type image/png"])
        #expect(ReportConsistency.problems(honest, mediaType: "application/pdf") == ["it reads an image format in a file of type application/pdf"])
        var turned = honest
        turned.orientationToApply = 6
        turned.displayWidth = honest.pixelWidth
        turned.displayHeight = honest.pixelHeight
        #expect(ReportConsistency.problems(turned, mediaType: "image/jpeg").contains("its displayed size does not follow from its pixel size and orientation"))
        var huge = honest
        huge.pixelWidth = 0
        #expect(ReportConsistency.problems(huge, mediaType: "image/jpeg").contains("its pixel width is out of range"))
    }
}
