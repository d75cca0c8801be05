import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads the element texts of a small S3 XML answer (a `ListBucketResult` or an `Error`), by element name.
final class S3XMLReader: NSObject, XMLParserDelegate {
    private(set) var root = ""
    private(set) var values: [(String, String)] = []
    private var stack: [String] = []
    private var text = ""

    init(_ bytes: [UInt8]) {
        super.init()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = self
        parser.shouldResolveExternalEntities = false
        if !parser.parse() { root = "" }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if stack.isEmpty { root = name }
        stack.append(name)
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        values.append((stack.joined(separator: "/"), text))
        stack.removeLast()
        text = ""
    }

    func first(_ path: String) -> String? { values.first { $0.0 == path }?.1 }
}

/// The parts of a LIST (v2) answer that the client uses.
struct ListResult {
    var valid: Bool
    var keys: [String]
    /// The entity tag of each key (same order; empty when the answer gives none).
    var tags: [String]
    var truncated: Bool
    var nextToken: String?

    init(_ body: [UInt8]) {
        let reader = S3XMLReader(body)
        valid = reader.root == "ListBucketResult"
        var keys: [String] = [], tags: [String] = []
        for (path, value) in reader.values {
            if path == "ListBucketResult/Contents/Key" { keys.append(value); tags.append("") }
            if path == "ListBucketResult/Contents/ETag", !tags.isEmpty { tags[tags.count - 1] = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        self.keys = keys
        self.tags = tags
        truncated = reader.first("ListBucketResult/IsTruncated") == "true"
        nextToken = reader.first("ListBucketResult/NextContinuationToken")
    }
}

/// The code and message of an S3 `Error` answer (empty when the body is not one).
struct ErrorResult {
    var code: String
    var message: String

    init(_ body: [UInt8]) {
        let reader = S3XMLReader(body)
        code = reader.root == "Error" ? reader.first("Error/Code") ?? "" : ""
        message = reader.root == "Error" ? reader.first("Error/Message") ?? "" : ""
    }
}
