import Foundation

/// The bundle's own table of contents (issue 20): `index.html`, a static page (no script, no external
/// resource; thumbnails inline as `data:` URIs; an Arabic part laid out right to left, with numbers, hashes
/// and ids kept left to right), and `index.csv`, the same rows for a court's e-filing system (RFC 4180, a
/// header row, UTF-8).
public struct BundleIndex: Sendable {
    /// One released item as the index lists it: only what the bundle itself releases.
    public struct Row: Sendable, Equatable {
        public var productionNumber: String
        /// The released file's name in the archive (`items/DT-0001-0001.jpg`).
        public var file: String
        public var mediaType: String
        /// Bytes.
        public var size: Int64
        /// SHA-256 of the released file (hex).
        public var sha256: String
        /// The date photographed as released (the case's `photographedOn`, else the item's `captureTime`,
        /// after the profile's rules); empty when withheld.
        public var datePhotographed: String
        /// The case's label as released; empty when withheld.
        public var caseLabel: String
        /// The category codes of the regions the released file masks, sorted, each once.
        public var categoriesMasked: [String]
        /// A small JPEG of the released image (its masks applied), or nil for a file that is not an image.
        public var thumbnail: [UInt8]?

        public init(productionNumber: String, file: String, mediaType: String, size: Int64, sha256: String, datePhotographed: String,
                    caseLabel: String, categoriesMasked: [String], thumbnail: [UInt8]?) {
            self.productionNumber = productionNumber; self.file = file; self.mediaType = mediaType; self.size = size; self.sha256 = sha256
            self.datePhotographed = datePhotographed; self.caseLabel = caseLabel; self.categoriesMasked = categoriesMasked; self.thumbnail = thumbnail
        }
    }

    public var bundle: String
    /// The organisation that issued the bundle (`set-organisation`); empty when the vault names none.
    public var organisation: String
    /// Category code → description, as the policy defines them.
    public var categories: [String: String]
    public var rows: [Row]

    public init(bundle: String, organisation: String, categories: [String: String], rows: [Row]) {
        self.bundle = bundle; self.organisation = organisation; self.categories = categories; self.rows = rows
    }

    /// The CSV header, in order.
    public static let csvHeader = ["production number", "file name", "media type", "size", "SHA-256", "date photographed",
                                   "case label", "categories masked", "issuing organisation"]

    /// `index.csv`: a header row and one row per item, CRLF line ends (RFC 4180). A text cell that a
    /// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is
    /// written with a leading `'`.
    public var csv: String {
        var lines = [Self.csvHeader.map(Self.csvCell).joined(separator: ",")]
        for row in rows {
            let cells = [row.productionNumber, row.file, row.mediaType, String(row.size), row.sha256, row.datePhotographed,
                         row.caseLabel, row.categoriesMasked.joined(separator: ";"), organisation]
            lines.append(cells.map(Self.csvCell).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// One CSV cell: defused against formulas, quoted when it holds a comma, a quote or a line break.
    static func csvCell(_ text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Text escaped for HTML content and attribute values.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// `index.html`.
    public var html: String {
        let e = Self.escaped
        func masked(_ row: Row) -> String {
            row.categoriesMasked.isEmpty ? "—" : row.categoriesMasked.map { code in
                "<span dir=\"ltr\">\(e(code))</span>" + (categories[code].map { ": " + e($0) } ?? "")
            }.joined(separator: "<br>")
        }
        var rowsHTML = ""
        for row in rows {
            let thumbnail = row.thumbnail.map { "<img src=\"data:image/jpeg;base64,\($0.base64)\" alt=\"\(e(row.productionNumber))\">" } ?? "—"
            rowsHTML += """
            <tr><td>\(thumbnail)</td><td dir="ltr">\(e(row.productionNumber))</td><td dir="ltr">\(e(row.file))</td>\
            <td dir="ltr">\(e(row.caseLabel))</td><td dir="ltr">\(e(row.datePhotographed))</td><td>\(masked(row))</td>\
            <td dir="ltr" class="hash">\(e(row.sha256))</td></tr>

            """
        }
        let organisationEN = organisation.isEmpty ? "" : " issued by \(e(organisation))"
        let organisationAR = organisation.isEmpty ? "" : " صادرة عن \(e(organisation))"
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Amanah disclosure bundle \(e(bundle))</title>
        <style>
        body { font-family: sans-serif; margin: 1.5em; line-height: 1.4; }
        table { border-collapse: collapse; margin-top: 1em; }
        th, td { border: 1px solid #999; padding: 0.3em 0.5em; vertical-align: top; text-align: start; }
        img { max-width: 160px; max-height: 160px; }
        .hash { font-family: monospace; font-size: 0.8em; word-break: break-all; max-width: 20em; }
        section[lang="ar"] { margin-top: 1.5em; }
        </style>
        </head>
        <body>
        <section>
        <h1>Amanah disclosure bundle <span dir="ltr">\(e(bundle))</span>\(organisationEN)</h1>
        <p>\(rows.count == 1 ? "1 item" : "\(rows.count) items"). Each released file is in <code>items/</code> under its production number, and its released record in <code>records/</code>. The thumbnails show the released image, masks included. Check the bundle as <code>VERIFY.txt</code> says before relying on anything here.</p>
        </section>
        <section lang="ar" dir="rtl">
        <h1>حزمة إفصاح من أمانة <span dir="ltr">\(e(bundle))</span>\(organisationAR)</h1>
        <p>عدد المواد: <span dir="ltr">\(rows.count)</span>. كل ملف مُسلَّم موجود في المجلد <code dir="ltr">items/</code> باسم رقم الإنتاج الخاص به، وسجلّه المُسلَّم في المجلد <code dir="ltr">records/</code>. تُظهر الصور المصغّرة الصورة المُسلَّمة بما فيها من مناطق محجوبة. تحقّقوا من الحزمة كما يشرح الملف <code dir="ltr">VERIFY.txt</code> قبل الاعتماد على أي شيء هنا.</p>
        </section>
        <table>
        <thead><tr><th>Image<br><span lang="ar" dir="rtl">الصورة</span></th><th>Production number<br><span lang="ar" dir="rtl">رقم الإنتاج</span></th>\
        <th>File<br><span lang="ar" dir="rtl">الملف</span></th><th>Case<br><span lang="ar" dir="rtl">القضية</span></th>\
        <th>Date photographed<br><span lang="ar" dir="rtl">تاريخ التصوير</span></th><th>Masked<br><span lang="ar" dir="rtl">المحجوب</span></th>\
        <th>SHA-256</th></tr></thead>
        <tbody>
        \(rowsHTML)</tbody>
        </table>
        </body>
        </html>

        """
    }
}

private extension Array where Element == UInt8 {
    var base64: String { Data(self).base64EncodedString() }
}
