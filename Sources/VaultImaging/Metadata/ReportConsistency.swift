/// Checks, in the parent, a metadata report the sandbox child returned (issue 16): a compromised parser can
/// answer anything, so a report is not trusted to be complete merely because it arrived. Each check is one the
/// parent can make without parsing the file: the format agrees with the media type the parent sniffed from
/// the file's first bytes, sizes and orientations are in range and agree, every GPS position is a position
/// on the earth and is named in the summary, and every serial number, person or place found is named in it.
/// A report that fails is kept, but the item is marked "metadata not inspected" and treated as possibly
/// identifying.
public enum ReportConsistency {
    /// The largest width or height a report may give (pixels).
    public static let maximumDimension = 1_000_000

    /// What is inconsistent in `report` for a file whose sniffed media type is `mediaType`, one phrase each
    /// (no values); empty when nothing is.
    public static func problems(_ report: MetadataReport, mediaType: String) -> [String] {
        var problems: [String] = []
        let expected: [String: ImageFormat] = ["image/jpeg": .jpeg, "image/png": .png, "image/webp": .webp, "image/gif": .gif,
                                               "image/tiff": .tiff, "image/heic": .heif, "image/avif": .heif]
        if let format = expected[mediaType], report.format != format, report.format != .unknown {
            problems.append("its format \(report.format.rawValue) is not the file's type \(mediaType)")
        }
        if expected[mediaType] == nil && report.format != .unknown {
            problems.append("it reads an image format in a file of type \(mediaType)")
        }
        for (name, value) in [("pixel width", report.pixelWidth), ("pixel height", report.pixelHeight),
                              ("display width", report.displayWidth), ("display height", report.displayHeight)] {
            if let value, value <= 0 || value > maximumDimension { problems.append("its \(name) is out of range") }
        }
        if let orientation = report.orientation, !(1...8).contains(orientation) { problems.append("its orientation is not 1 to 8") }
        if !(1...8).contains(report.orientationToApply) { problems.append("the orientation it applies is not 1 to 8") }
        if let width = report.pixelWidth, let height = report.pixelHeight, let displayWidth = report.displayWidth,
           let displayHeight = report.displayHeight, report.heifTransforms.isEmpty {
            let turned = report.orientationToApply >= 5
            if (turned ? (height, width) : (width, height)) != (displayWidth, displayHeight) {
                problems.append("its displayed size does not follow from its pixel size and orientation")
            }
        }
        if report.gps.contains(where: { !(-90.0...90.0).contains($0.latitude) || !(-180.0...180.0).contains($0.longitude) }) {
            problems.append("a GPS position is not on the earth")
        }
        let summary = report.identifyingSummary.joined(separator: " ").lowercased()
        if (!report.gps.isEmpty || report.hasGPSTags) && !summary.contains("gps") {
            problems.append("it found GPS data but its summary does not say so")
        }
        if (!report.serialNumbers.isEmpty || !report.people.isEmpty || !report.places.isEmpty) && report.identifyingSummary.isEmpty {
            problems.append("it found serial numbers, people or places but its summary names nothing")
        }
        return problems
    }
}
