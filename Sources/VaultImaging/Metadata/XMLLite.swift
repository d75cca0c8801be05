/// A small, non-validating XML reader for XMP packets: elements, attributes, text, CDATA, the five
/// predefined entities and character references, with namespace prefixes resolved to URIs. It never
/// fetches or expands DTD entities (no XXE, no billion laughs), and it bounds depth and node count.
/// Element and attribute names come back as "prefix:local" with a canonical prefix for well-known XMP
/// namespaces, so that a file cannot hide a property by binding an unusual prefix.
struct XMLLite {
    final class Node {
        let name: String
        var attributes: [(name: String, value: String)] = []
        var children: [Node] = []
        var text = ""
        init(name: String) { self.name = name }
    }

    static let maxDepth = 100
    static let maxNodes = 100_000

    static let canonicalPrefixes: [String: String] = [
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
        "adobe:ns:meta/": "x",
        "http://www.w3.org/XML/1998/namespace": "xml",
        "http://ns.adobe.com/exif/1.0/": "exif",
        "http://ns.adobe.com/tiff/1.0/": "tiff",
        "http://purl.org/dc/elements/1.1/": "dc",
        "http://ns.adobe.com/photoshop/1.0/": "photoshop",
        "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
        "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
        "http://ns.adobe.com/xmp/note/": "xmpNote",
        "http://ns.adobe.com/xap/1.0/": "xmp",
        "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
        "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
        "http://ns.adobe.com/xap/1.0/sType/ResourceRef#": "stRef",
        "http://www.metadataworkinggroup.com/schemas/regions/": "mwg-rs",
        "http://ns.adobe.com/xmp/sType/Area#": "stArea",
        "http://ns.adobe.com/xap/1.0/sType/Dimensions#": "stDim",
        "http://ns.microsoft.com/photo/1.2/": "MP",
        "http://ns.microsoft.com/photo/1.2/t/RegionInfo#": "MPRI",
        "http://ns.microsoft.com/photo/1.2/t/Region#": "MPReg",
        "http://ns.adobe.com/exif/1.0/aux/": "aux",
        "http://cipa.jp/exif/1.0/": "exifEX",
        "http://ns.google.com/photos/1.0/camera/": "GCamera",
        "http://ns.google.com/photos/1.0/container/": "Container",
        "http://ns.google.com/photos/1.0/container/item/": "Item",
        "http://ns.adobe.com/microsoft/photo/1.0/": "MicrosoftPhoto",
        "http://ns.adobe.com/photoshop/1.0/camera-profile": "crs",
    ]

    /// Parses `bytes` (UTF-8, or UTF-16 with a byte order mark or a leading "<" in either order).
    /// Returns the document's top-level nodes and any problems found.
    static func parse(_ input: [UInt8]) -> (roots: [Node], problems: [String]) {
        var bytes = input
        if bytes.count >= 2 && ((bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0x00 && bytes[1] == 0x3C)) {
            bytes = Array(TextDecoding.utf16(bytes, littleEndian: false).utf8)
        } else if bytes.count >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0x3C && bytes[1] == 0x00)) {
            bytes = Array(TextDecoding.utf16(bytes, littleEndian: true).utf8)
        }
        var parser = Parser(bytes: bytes)
        parser.run()
        return (parser.roots, parser.problems)
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0
        var roots: [Node] = []
        var stack: [(node: Node, namespaces: [String: String])] = []
        var problems: [String] = []
        var nodeCount = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func starts(_ text: String, at position: Int) -> Bool {
            let t = Array(text.utf8)
            guard position + t.count <= bytes.count else { return false }
            for k in 0..<t.count where bytes[position + k] != t[k] { return false }
            return true
        }

        func find(_ text: String, from position: Int) -> Int? {
            let t = Array(text.utf8)
            var p = position
            while p + t.count <= bytes.count {
                if bytes[p] == t[0] && starts(text, at: p) { return p }
                p += 1
            }
            return nil
        }

        static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        static func isNameEnd(_ b: UInt8) -> Bool { isSpace(b) || b == 0x3E || b == 0x2F || b == 0x3D }

        mutating func run() {
            while i < bytes.count {
                if bytes[i] == 0x3C {
                    if starts("<?", at: i) { i = (find("?>", from: i + 2).map { $0 + 2 }) ?? bytes.count }
                    else if starts("<!--", at: i) { i = (find("-->", from: i + 4).map { $0 + 3 }) ?? bytes.count }
                    else if starts("<![CDATA[", at: i) {
                        let end = find("]]>", from: i + 9) ?? bytes.count
                        appendText(String(decoding: bytes[(i + 9)..<end], as: UTF8.self))
                        i = Swift.min(bytes.count, end + 3)
                    } else if starts("<!", at: i) {
                        // DOCTYPE and declarations are skipped, internal subset included; entities are never defined.
                        if let bracket = find("[", from: i), let close = find(">", from: i), bracket < close {
                            i = (find("]>", from: bracket).map { $0 + 2 }) ?? bytes.count
                        } else {
                            i = (find(">", from: i).map { $0 + 1 }) ?? bytes.count
                        }
                        problems.append("XML declaration or DOCTYPE skipped")
                    } else if starts("</", at: i) {
                        var j = i + 2
                        while j < bytes.count && bytes[j] != 0x3E { j += 1 }
                        let raw = String(decoding: bytes[(i + 2)..<j], as: UTF8.self).trimmingXMLSpace
                        closeElement(raw)
                        i = j + 1
                    } else {
                        if !openElement() { return }
                    }
                } else {
                    var j = i
                    while j < bytes.count && bytes[j] != 0x3C { j += 1 }
                    appendText(Self.decodeEntities(bytes[i..<j]))
                    i = j
                }
            }
            if !stack.isEmpty { problems.append("XML ends inside an element") }
        }

        mutating func appendText(_ text: String) {
            guard let top = stack.last?.node else { return }
            if top.text.utf8.count < 1 << 20 { top.text += text }
        }

        func resolve(_ raw: String, namespaces: [String: String], isAttribute: Bool) -> String {
            let parts = raw.split(separator: ":", maxSplits: 1)
            if parts.count == 2 {
                let prefix = String(parts[0]), local = String(parts[1])
                if prefix == "xml" { return "xml:" + local }
                if prefix == "xmlns" { return raw }
                if let uri = namespaces[prefix] {
                    if let canonical = XMLLite.canonicalPrefixes[uri] { return canonical + ":" + local }
                    return prefix + ":" + local
                }
                return raw
            }
            if !isAttribute, let uri = namespaces[""], let canonical = XMLLite.canonicalPrefixes[uri] {
                return canonical + ":" + raw
            }
            return raw
        }

        /// Reads a start tag at `i`; returns false when parsing must stop.
        mutating func openElement() -> Bool {
            var j = i + 1
            let nameStart = j
            while j < bytes.count && !Self.isNameEnd(bytes[j]) { j += 1 }
            let rawName = String(decoding: bytes[nameStart..<j], as: UTF8.self)
            var rawAttributes: [(String, String)] = []
            var selfClosing = false
            while j < bytes.count {
                while j < bytes.count && Self.isSpace(bytes[j]) { j += 1 }
                guard j < bytes.count else { break }
                if bytes[j] == 0x3E { j += 1; break }
                if bytes[j] == 0x2F { selfClosing = true; j += 1; continue }
                let attrStart = j
                while j < bytes.count && !Self.isNameEnd(bytes[j]) { j += 1 }
                let attrName = String(decoding: bytes[attrStart..<j], as: UTF8.self)
                while j < bytes.count && Self.isSpace(bytes[j]) { j += 1 }
                guard j < bytes.count, bytes[j] == 0x3D else {
                    if j == attrStart { j += 1 }  // stray character: skip it
                    continue
                }
                j += 1
                while j < bytes.count && Self.isSpace(bytes[j]) { j += 1 }
                guard j < bytes.count, bytes[j] == 0x22 || bytes[j] == 0x27 else { continue }
                let quote = bytes[j]
                let valueStart = j + 1
                var k = valueStart
                while k < bytes.count && bytes[k] != quote { k += 1 }
                rawAttributes.append((attrName, Self.decodeEntities(bytes[valueStart..<Swift.min(k, bytes.count)])))
                j = k + 1
            }
            i = j
            nodeCount += 1
            guard nodeCount <= XMLLite.maxNodes else {
                problems.append("XML has more than \(XMLLite.maxNodes) elements; rest ignored")
                return false
            }
            guard stack.count < XMLLite.maxDepth else {
                problems.append("XML nested deeper than \(XMLLite.maxDepth); rest ignored")
                return false
            }
            var namespaces = stack.last?.namespaces ?? [:]
            for (name, value) in rawAttributes {
                if name == "xmlns" { namespaces[""] = value }
                else if name.hasPrefix("xmlns:") { namespaces[String(name.dropFirst(6))] = value }
            }
            let node = Node(name: resolve(rawName, namespaces: namespaces, isAttribute: false))
            for (name, value) in rawAttributes where name != "xmlns" && !name.hasPrefix("xmlns:") {
                node.attributes.append((resolve(name, namespaces: namespaces, isAttribute: true), value))
            }
            if let parent = stack.last?.node { parent.children.append(node) } else { roots.append(node) }
            if !selfClosing { stack.append((node, namespaces)) }
            return true
        }

        mutating func closeElement(_ rawName: String) {
            guard let top = stack.last else {
                problems.append("XML end tag without start tag")
                return
            }
            let name = resolve(rawName, namespaces: top.namespaces, isAttribute: false)
            if name == top.node.name { stack.removeLast(); return }
            // Mismatched end tag: close up to the matching element if there is one.
            if let index = stack.lastIndex(where: { $0.node.name == name }) {
                stack.removeSubrange(index...)
            }
            problems.append("XML end tag does not match its start tag")
        }

        static func decodeEntities(_ slice: ArraySlice<UInt8>) -> String {
            let text = String(decoding: slice, as: UTF8.self)
            guard text.contains("&") else { return text }
            var out = ""
            var rest = Substring(text)
            while let amp = rest.firstIndex(of: "&") {
                out += rest[rest.startIndex..<amp]
                guard let semi = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semi) <= 12 else {
                    out += "&"
                    rest = rest[rest.index(after: amp)...]
                    continue
                }
                let entity = rest[rest.index(after: amp)..<semi]
                switch entity {
                case "lt": out += "<"
                case "gt": out += ">"
                case "amp": out += "&"
                case "quot": out += "\""
                case "apos": out += "'"
                default:
                    var scalar: UnicodeScalar?
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") { scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(UnicodeScalar.init) }
                    else if entity.hasPrefix("#") { scalar = UInt32(entity.dropFirst(), radix: 10).flatMap(UnicodeScalar.init) }
                    if let scalar { out.unicodeScalars.append(scalar) } else { out += "&" + entity + ";" }
                }
                rest = rest[rest.index(after: semi)...]
            }
            out += rest
            return out
        }
    }
}

extension String {
    /// The string without leading and trailing XML white space.
    var trimmingXMLSpace: String {
        var scalars = Substring(self).unicodeScalars[...]
        let space: Set<UnicodeScalar> = [" ", "\t", "\n", "\r"]
        while let f = scalars.first, space.contains(f) { scalars = scalars.dropFirst() }
        while let l = scalars.last, space.contains(l) { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
