import SwiftASN1

// The ASN.1 structures of RFC 3161 (time-stamp protocol) and the parts of RFC 5652 (CMS SignedData) a
// time-stamp token uses, decoded and encoded with swift-asn1. Only what a client needs: it writes requests and
// reads responses.

/// Object identifiers this module uses.
enum TimeStampOID {
    /// id-signedData (RFC 5652 §5.1).
    static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
    /// id-ct-TSTInfo (RFC 3161 §2.4.2).
    static let tstInfo: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 16, 1, 4]
    /// id-contentType and id-messageDigest signed attributes (RFC 5652 §11.1, §11.2).
    static let contentType: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 3]
    static let messageDigest: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 4]
    /// SHA-256, SHA-384, SHA-512 (NIST).
    static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
    static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]
    static let sha512: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 3]
    /// ecdsa-with-SHA256/384/512 (RFC 5758) and sha256/384/512WithRSAEncryption (RFC 4055).
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
    static let ecdsaWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 4]
    static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
    static let sha256WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 11]
    static let sha384WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 12]
    static let sha512WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 13]
    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
}

/// AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } (RFC 5280).
struct AlgorithmID: DERImplicitlyTaggable, Equatable {
    static var defaultIdentifier: ASN1Identifier { .sequence }
    var algorithm: ASN1ObjectIdentifier
    var parameters: ASN1Any?

    init(algorithm: ASN1ObjectIdentifier, parameters: ASN1Any? = nil) { self.algorithm = algorithm; self.parameters = parameters }

    init(derEncoded root: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(root, identifier: identifier) { nodes in
            let algorithm = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let parameters = nodes.next().map { ASN1Any(derEncoded: $0) }
            return AlgorithmID(algorithm: algorithm, parameters: parameters)
        }
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(algorithm)
            if let parameters { try coder.serialize(parameters) }
        }
    }
}

/// MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING } (RFC 3161 §2.4.1).
struct MessageImprint: DERImplicitlyTaggable, Equatable {
    static var defaultIdentifier: ASN1Identifier { .sequence }
    var hashAlgorithm: AlgorithmID
    var hashedMessage: ASN1OctetString

    init(hashAlgorithm: AlgorithmID, hashedMessage: ASN1OctetString) { self.hashAlgorithm = hashAlgorithm; self.hashedMessage = hashedMessage }

    init(derEncoded root: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(root, identifier: identifier) { nodes in
            MessageImprint(hashAlgorithm: try AlgorithmID(derEncoded: &nodes), hashedMessage: try ASN1OctetString(derEncoded: &nodes))
        }
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(hashAlgorithm)
            try coder.serialize(hashedMessage)
        }
    }
}

/// TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint, reqPolicy TSAPolicyId
/// OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE, extensions [0] IMPLICIT Extensions OPTIONAL }
/// (RFC 3161 §2.4.1). Amanah always sends a nonce and asks for the certificate.
struct TimeStampRequest: DERSerializable {
    var imprint: MessageImprint
    /// The nonce, big-endian, without leading zero bytes beyond the one that keeps it positive.
    var nonce: ArraySlice<UInt8>

    func serialize(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)
            try coder.serialize(imprint)
            try coder.serialize(nonce)
            try coder.serialize(true)
        }
    }
}

/// TSTInfo (RFC 3161 §2.4.2): the fields Amanah checks; the rest is read past.
struct TSTInfo {
    var version: Int
    var policy: ASN1ObjectIdentifier
    var imprint: MessageImprint
    var serialNumber: ArraySlice<UInt8>
    var genTime: GeneralizedTime
    var nonce: ArraySlice<UInt8>?

    init(derEncoded bytes: ArraySlice<UInt8>) throws {
        let root = try DER.parse(bytes)
        self = try DER.sequence(root, identifier: .sequence) { nodes in
            let version = try Int(derEncoded: &nodes)
            let policy = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let imprint = try MessageImprint(derEncoded: &nodes)
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            let genTime = try GeneralizedTime(derEncoded: &nodes)
            var nonce: ArraySlice<UInt8>? = nil
            // accuracy (SEQUENCE), ordering (BOOLEAN), nonce (INTEGER), tsa [0], extensions [1]: in that order.
            while let node = nodes.next() {
                if node.identifier == .integer { nonce = try ArraySlice<UInt8>(derEncoded: node) }
            }
            return TSTInfo(version: version, policy: policy, imprint: imprint, serialNumber: serial, genTime: genTime, nonce: nonce)
        }
    }

    private init(version: Int, policy: ASN1ObjectIdentifier, imprint: MessageImprint, serialNumber: ArraySlice<UInt8>,
                 genTime: GeneralizedTime, nonce: ArraySlice<UInt8>?) {
        self.version = version; self.policy = policy; self.imprint = imprint; self.serialNumber = serialNumber
        self.genTime = genTime; self.nonce = nonce
    }
}

/// A CMS SignerInfo (RFC 5652 §5.3), with the DER of its signed attributes as they are signed (the SET OF
/// tag in place of the implicit [0]).
struct SignerInfo {
    /// IssuerAndSerialNumber's serial (nil for a subjectKeyIdentifier, which the certificate's extension matches).
    var serialNumber: ArraySlice<UInt8>?
    var subjectKeyIdentifier: ArraySlice<UInt8>?
    var digestAlgorithm: AlgorithmID
    /// The signed attributes: type → the DER of its values' SET.
    var attributes: [(type: ASN1ObjectIdentifier, values: [ASN1Node])]
    var signedAttributesDER: [UInt8]
    var signatureAlgorithm: AlgorithmID
    var signature: ArraySlice<UInt8>

    init(derEncoded root: ASN1Node) throws {
        var serial: ArraySlice<UInt8>? = nil, keyID: ArraySlice<UInt8>? = nil
        var attributes: [(ASN1ObjectIdentifier, [ASN1Node])] = []
        var signedDER: [UInt8] = []
        var digest: AlgorithmID? = nil, algorithm: AlgorithmID? = nil, signature: ArraySlice<UInt8> = []
        try DER.sequence(root, identifier: .sequence) { nodes in
            _ = try Int(derEncoded: &nodes)   // version 1 or 3
            guard let sid = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "SignerInfo has no sid") }
            if sid.identifier == .sequence {
                try DER.sequence(sid, identifier: .sequence) { parts in
                    _ = parts.next()   // issuer Name
                    serial = try ArraySlice<UInt8>(derEncoded: &parts)
                }
            } else if sid.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                keyID = try ASN1OctetString(derEncoded: sid, withIdentifier: sid.identifier).bytes
            }
            digest = try AlgorithmID(derEncoded: &nodes)
            guard let next = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "SignerInfo ends early") }
            var algorithmNode = next
            if next.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                // What is signed is the DER of the attributes with the SET OF tag (RFC 5652 §5.4).
                signedDER = Array(next.encodedBytes)
                signedDER[0] = 0x31
                guard case let .constructed(children) = next.content else { throw ASN1Error.invalidASN1Object(reason: "signed attributes") }
                for child in children {
                    try DER.sequence(child, identifier: .sequence) { parts in
                        let type = try ASN1ObjectIdentifier(derEncoded: &parts)
                        guard let set = parts.next(), case let .constructed(values) = set.content else {
                            throw ASN1Error.invalidASN1Object(reason: "attribute without values")
                        }
                        attributes.append((type, Array(values)))
                    }
                }
                guard let after = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "SignerInfo ends early") }
                algorithmNode = after
            }
            algorithm = try AlgorithmID(derEncoded: algorithmNode)
            signature = try ASN1OctetString(derEncoded: &nodes).bytes
            while nodes.next() != nil {}   // unsignedAttrs
        }
        guard let digest, let algorithm else { throw ASN1Error.invalidASN1Object(reason: "SignerInfo") }
        self.serialNumber = serial; self.subjectKeyIdentifier = keyID; self.digestAlgorithm = digest
        self.attributes = attributes.map { (type: $0.0, values: $0.1) }; self.signedAttributesDER = signedDER
        self.signatureAlgorithm = algorithm; self.signature = signature
    }
}

/// A time-stamp token's SignedData (RFC 5652 §5.1): its encapsulated TSTInfo, certificates and one signer.
struct SignedTimeStamp {
    var tstInfoDER: ArraySlice<UInt8>
    var certificates: [[UInt8]]
    var signer: SignerInfo

    /// Parses a TimeStampToken (a ContentInfo).
    init(token: ArraySlice<UInt8>) throws {
        let root = try DER.parse(token)
        var info: ArraySlice<UInt8> = [], certificates: [[UInt8]] = [], signers: [SignerInfo] = []
        try DER.sequence(root, identifier: .sequence) { nodes in
            guard try ASN1ObjectIdentifier(derEncoded: &nodes) == TimeStampOID.signedData else {
                throw ASN1Error.invalidASN1Object(reason: "the token is not CMS SignedData")
            }
            try DER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { signedData in
                try DER.sequence(signedData, identifier: .sequence) { parts in
                    _ = try Int(derEncoded: &parts)
                    _ = parts.next()   // digestAlgorithms
                    guard let encapsulated = parts.next() else { throw ASN1Error.invalidASN1Object(reason: "SignedData ends early") }
                    try DER.sequence(encapsulated, identifier: .sequence) { content in
                        guard try ASN1ObjectIdentifier(derEncoded: &content) == TimeStampOID.tstInfo else {
                            throw ASN1Error.invalidASN1Object(reason: "the token does not hold a TSTInfo")
                        }
                        try DER.explicitlyTagged(&content, tagNumber: 0, tagClass: .contextSpecific) { octets in
                            info = try ASN1OctetString(derEncoded: octets).bytes
                        }
                    }
                    while let node = parts.next() {
                        if node.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific), case let .constructed(list) = node.content {
                            certificates = list.map { Array($0.encodedBytes) }
                        } else if node.identifier == .set, case let .constructed(list) = node.content {
                            signers = try list.map { try SignerInfo(derEncoded: $0) }
                        }
                    }
                }
            }
        }
        guard signers.count == 1 else { throw ASN1Error.invalidASN1Object(reason: "a time-stamp token has exactly one signer, not \(signers.count)") }
        guard !info.isEmpty else { throw ASN1Error.invalidASN1Object(reason: "the token's TSTInfo is empty") }
        self.tstInfoDER = info; self.certificates = certificates; self.signer = signers[0]
    }
}
