/// IPTC-IIM (Information Interchange Model 4.2) datasets: 0x1C, record, dataset, length, data. Text is
/// UTF-8 when record 1:90 CodedCharacterSet is ESC % G; otherwise it has no declared charset.
enum IPTCReader {
    private static let names: [UInt8: String] = [
        5: "ObjectName", 25: "Keywords", 40: "SpecialInstructions", 55: "DateCreated", 60: "TimeCreated",
        80: "By-line", 85: "By-lineTitle", 90: "City", 92: "Sub-location", 95: "Province-State",
        100: "Country-PrimaryLocationCode", 101: "Country-PrimaryLocationName", 103: "OriginalTransmissionReference",
        105: "Headline", 110: "Credit", 115: "Source", 116: "CopyrightNotice", 118: "Contact",
        120: "Caption-Abstract", 122: "Writer-Editor",
    ]

    static func parse(_ data: ByteView, builder: ReportBuilder, source: String) {
        var info = builder.report.iptc ?? IPTCInfo()
        var utf8Declared = info.codedCharacterSet?.hasPrefix("UTF-8") ?? false
        var position = 0
        var count = 0
        while position + 5 <= data.count && count < 10_000 {
            count += 1
            guard let tag = try? data.u8(position), tag == 0x1C,
                  let record = try? data.u8(position + 1), let dataset = try? data.u8(position + 2),
                  var length = try? Int(data.u16(position + 3)) else {
                if position < data.count, (try? data.u8(position)) == 0 { break }  // padding
                builder.warn("\(source): bad dataset marker at offset \(position)")
                break
            }
            var valueStart = position + 5
            if length & 0x8000 != 0 {
                let lengthBytes = length & 0x7FFF
                guard lengthBytes <= 4, let extended = try? data.bytes(valueStart, lengthBytes) else {
                    builder.warn("\(source): bad extended length")
                    break
                }
                length = extended.reduce(0) { $0 << 8 | Int($1) }
                valueStart += lengthBytes
            }
            guard let value = try? data.bytes(valueStart, length) else {
                builder.warn("\(source): dataset \(record):\(dataset) runs past the end")
                break
            }
            position = valueStart + length
            if record == 1 && dataset == 90 {
                if value == [0x1B, 0x25, 0x47] {
                    info.codedCharacterSet = "UTF-8 (ESC % G)"
                    utf8Declared = true
                } else {
                    info.codedCharacterSet = "ESC sequence " + TextDecoding.hex(value)
                }
                continue
            }
            guard record == 2, let name = names[dataset] else { continue }
            let text: String
            if utf8Declared { text = TextDecoding.utf8(value) }
            else {
                let (decoded, encoding) = TextDecoding.undeclared(value)
                text = decoded
                if encoding != "UTF-8" { builder.warn("\(source) has no CodedCharacterSet; decoded as \(encoding)") }
            }
            let field = MetadataField(name: "\(record):\(dataset) \(name)", value: TextDecoding.capped(text), source: source)
            if info.records.count < 2000 { info.records.append(field) }
            switch dataset {
            case 80: info.bylines.append(text); builder.person("By-line", text, source)
            case 116: builder.person("CopyrightNotice", text, source)
            case 118: builder.person("Contact", text, source)
            case 122: builder.person("Writer-Editor", text, source)
            case 90: if info.city == nil { info.city = text }; builder.place("City", text, source)
            case 92: builder.place("Sub-location", text, source)
            case 95: builder.place("Province-State", text, source)
            case 101: builder.place("Country", text, source)
            case 120: info.captions.append(text); builder.text("Caption-Abstract", text, source)
            case 55: builder.date("DateCreated", text, source)
            default: builder.text(name, text, source)
            }
        }
        builder.report.iptc = info
    }
}
