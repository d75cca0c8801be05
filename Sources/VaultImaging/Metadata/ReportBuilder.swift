/// Collects findings while the parsers walk a file, de-duplicating values and enforcing budgets (number of
/// entries, warnings, nesting), so that a hostile file cannot make the report itself huge.
final class ReportBuilder {
    var report: MetadataReport
    /// Whole-file budget for IFD entries, chunks, boxes and XMP properties together.
    private var workBudget = 200_000
    private static let maxWarnings = 200
    private static let maxFieldsPerList = 2_000

    /// Standard XMP packets seen (raw bytes), parsed once the whole file has been read.
    var xmpPackets: [(bytes: [UInt8], source: String)] = []
    /// Extended XMP segments: GUID -> (declared full length, pieces by offset).
    var extendedXMP: [String: (length: Int, pieces: [Int: [UInt8]])] = [:]
    var extendedXMPOrder: [String] = []
    /// EXIF orientation found in IFD1 or MakerNotes, compared with IFD0's at the end.
    var otherOrientations: [(source: String, value: Int)] = []

    init(format: ImageFormat) { report = MetadataReport(format: format) }

    /// Spends `cost` units of the work budget. - Throws: `MetadataParseError.limit` when exhausted.
    func spend(_ cost: Int = 1) throws {
        workBudget -= cost
        if workBudget < 0 { throw MetadataParseError.limit("too many metadata entries") }
    }

    func warn(_ text: String) {
        if report.warnings.count < Self.maxWarnings {
            if !report.warnings.contains(text) { report.warnings.append(text) }
        } else if report.warnings.count == Self.maxWarnings {
            report.warnings.append("further warnings omitted")
        }
    }

    private func add(_ field: MetadataField, to list: inout [MetadataField]) {
        guard !field.value.isEmpty, list.count < Self.maxFieldsPerList else { return }
        if !list.contains(field) { list.append(field) }
    }

    func serial(_ name: String, _ value: String, _ source: String) {
        let clean = TextDecoding.capped(value)
        add(MetadataField(name: name, value: clean, source: source), to: &report.serialNumbers)
    }

    func person(_ name: String, _ value: String, _ source: String) {
        add(MetadataField(name: name, value: TextDecoding.capped(value), source: source), to: &report.people)
    }

    func place(_ name: String, _ value: String, _ source: String) {
        add(MetadataField(name: name, value: TextDecoding.capped(value), source: source), to: &report.places)
    }

    func text(_ name: String, _ value: String, _ source: String) {
        add(MetadataField(name: name, value: TextDecoding.capped(value), source: source), to: &report.texts)
    }

    func date(_ name: String, _ value: String, _ source: String) {
        add(MetadataField(name: name, value: TextDecoding.capped(value, limit: 200), source: source), to: &report.dates)
    }

    func gps(_ position: GPSPosition) {
        report.hasGPSTags = true
        guard position.latitude.isFinite, position.longitude.isFinite,
              abs(position.latitude) <= 90, abs(position.longitude) <= 180 else {
            warn("GPS position out of range (\(position.source.rawValue))")
            return
        }
        if report.gps.count < 100 && !report.gps.contains(position) { report.gps.append(position) }
    }

    func embedded(_ image: EmbeddedImage) {
        if report.embeddedImages.count < 1000 { report.embeddedImages.append(image) }
    }

    func chunk(_ info: ChunkInfo) {
        if report.chunks.count < 10_000 { report.chunks.append(info) }
        else if report.chunks.count == 10_000 { warn("structure list cut at 10000 entries") }
    }

    func comment(_ text: String) {
        if report.comments.count < 1000 { report.comments.append(TextDecoding.capped(text)) }
    }
}
