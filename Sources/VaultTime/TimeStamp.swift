import Foundation
import SwiftASN1
import X509
import Crypto

/// Why a time-stamp (RFC 3161) is refused.
public enum TimeStampError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The authority's response did not grant a token: its PKIStatus and text.
    case notGranted(status: Int, text: String)
    /// The response or the token does not parse: where and why.
    case malformed(String)
    /// The token stamps another digest than the one asked for.
    case wrongImprint
    /// The token carries another nonce than the request's (or none).
    case wrongNonce
    /// The token's signature does not verify, or its signed attributes do not bind the TSTInfo.
    case badSignature(String)
    /// The signer's certificate does not chain to the configured one at the stamped time, or may not stamp.
    case untrustedSigner(String)
    /// The stamped time is outside the bounds the caller allows.
    case timeOutOfBounds(String)

    public var description: String {
        switch self {
        case let .notGranted(status, text): return "the authority did not grant a time-stamp (status \(status)\(text.isEmpty ? "" : ": " + text))"
        case let .malformed(why): return "the time-stamp is malformed: \(why)"
        case .wrongImprint: return "the time-stamp is for another message (its imprint differs)"
        case .wrongNonce: return "the time-stamp answers another request (its nonce differs)"
        case let .badSignature(why): return "the time-stamp's signature does not verify: \(why)"
        case let .untrustedSigner(why): return "the time-stamp's signer is not the configured authority: \(why)"
        case let .timeOutOfBounds(why): return "the stamped time is out of bounds: \(why)"
        }
    }
}

/// A time-stamp request (RFC 3161 §2.4.1) over a SHA-256 digest, with a fresh nonce, asking for the
/// authority's certificate in the token.
public struct TimeStampQuery: Sendable {
    /// The SHA-256 digest stamped (32 bytes).
    public let digest: [UInt8]
    /// The nonce (8 bytes, positive), which the token must echo.
    public let nonce: [UInt8]
    /// The request's DER (`application/timestamp-query`).
    public let der: [UInt8]

    /// - Parameter digest: the SHA-256 of what is stamped (a checkpoint's signed note).
    /// - Throws: `TimeStampError.malformed` for a digest that is not 32 bytes.
    public init(sha256 digest: [UInt8], nonce: [UInt8]? = nil) throws {
        guard digest.count == 32 else { throw TimeStampError.malformed("a SHA-256 digest is 32 bytes, not \(digest.count)") }
        guard nonce.map({ !$0.isEmpty && $0.count <= 32 }) ?? true else { throw TimeStampError.malformed("a nonce is 1 to 32 bytes") }
        var fresh = nonce ?? (0..<8).map { _ in UInt8.random(in: 0...255) }
        fresh[0] = (fresh[0] & 0x7F) | 0x01   // positive, and no leading zero byte
        self.digest = digest
        self.nonce = fresh
        var serializer = DER.Serializer()
        try serializer.serialize(TimeStampRequest(imprint: MessageImprint(hashAlgorithm: AlgorithmID(algorithm: TimeStampOID.sha256, parameters: try ASN1Any(erasing: ASN1Null())),
                                                                           hashedMessage: ASN1OctetString(contentBytes: ArraySlice(digest))),
                                                  nonce: ArraySlice(fresh)))
        self.der = serializer.serializedBytes
    }
}

/// A time-stamp token that verified: when the authority says the digest existed, and which token it was.
public struct VerifiedTimeStamp: Sendable, Equatable {
    /// The stamped time (TSTInfo genTime).
    public let time: Date
    /// The token's serial number (hex) and the authority's policy (dotted OID).
    public let serialNumber: String
    public let policy: String
    /// The signer's subject, as the certificate names it.
    public let signer: String
}

/// Checks RFC 3161 time-stamp responses and tokens: the response's status, the token's CMS signature
/// (RFC 5652: signed attributes binding the TSTInfo by its digest and content type), the signer's
/// certificate (it may stamp: extended key usage id-kp-timeStamping, and it chains to the configured
/// certificate at the stamped time, RFC 5280), the message imprint, the nonce and the time's bounds.
public enum TimeStampVerifier {
    /// The token in a TimeStampResp (RFC 3161 §2.4.2), once its status grants one.
    /// - Throws: `TimeStampError.notGranted` or `.malformed`.
    public static func token(fromResponse response: [UInt8]) throws -> [UInt8] {
        do {
            let root = try DER.parse(response)
            return try DER.sequence(root, identifier: .sequence) { nodes -> [UInt8] in
                guard let statusNode = nodes.next() else { throw TimeStampError.malformed("the response has no status") }
                let (status, text) = try DER.sequence(statusNode, identifier: .sequence) { info -> (Int, String) in
                    let status = try Int(derEncoded: &info)
                    var text = ""
                    if let free = info.next(), case let .constructed(strings) = free.content {
                        text = strings.compactMap { try? String(ASN1UTF8String(derEncoded: $0)) }.joined(separator: " ")
                    }
                    while info.next() != nil {}
                    return (status, text)
                }
                guard status == 0 || status == 1 else { throw TimeStampError.notGranted(status: status, text: text) }
                guard let token = nodes.next() else { throw TimeStampError.malformed("a granted response without a token") }
                return Array(token.encodedBytes)
            }
        } catch let error as TimeStampError { throw error } catch { throw TimeStampError.malformed("\(error)") }
    }

    /// Verifies `token` as a time-stamp of `digest` by the authority whose certificate is `trusted` (DER).
    /// - Parameters: nonce: the request's nonce (nil for a stored token, whose request is gone); bounds: the
    ///   times the stamped time must lie within (when fetching: around now).
    /// - Throws: `TimeStampError` naming what failed.
    public static func verify(token: [UInt8], digest: [UInt8], nonce: [UInt8]?, trusted: [UInt8],
                              bounds: ClosedRange<Date>) async throws -> VerifiedTimeStamp {
        let signed: SignedTimeStamp, info: TSTInfo, anchor: Certificate
        do {
            signed = try SignedTimeStamp(token: ArraySlice(token))
            info = try TSTInfo(derEncoded: signed.tstInfoDER)
        } catch let error as TimeStampError { throw error } catch { throw TimeStampError.malformed("\(error)") }
        do { anchor = try Certificate(derEncoded: trusted) } catch { throw TimeStampError.malformed("the configured certificate: \(error)") }

        // The message imprint and the nonce.
        guard info.imprint.hashAlgorithm.algorithm == TimeStampOID.sha256, Array(info.imprint.hashedMessage.bytes) == digest else {
            throw TimeStampError.wrongImprint
        }
        if let nonce {
            guard let echoed = info.nonce, Array(echoed) == nonce else { throw TimeStampError.wrongNonce }
        }

        // The signed attributes bind the TSTInfo: its content type and its digest.
        let signer = signed.signer
        guard !signer.signedAttributesDER.isEmpty else { throw TimeStampError.badSignature("the token has no signed attributes") }
        func attribute(_ type: ASN1ObjectIdentifier) -> ASN1Node? { signer.attributes.first { $0.type == type }?.values.first }
        guard let contentType = attribute(TimeStampOID.contentType), (try? ASN1ObjectIdentifier(derEncoded: contentType)) == TimeStampOID.tstInfo else {
            throw TimeStampError.badSignature("its content-type attribute is not id-ct-TSTInfo")
        }
        guard let digestNode = attribute(TimeStampOID.messageDigest), let signedDigest = try? ASN1OctetString(derEncoded: digestNode).bytes else {
            throw TimeStampError.badSignature("it has no message-digest attribute")
        }
        let computed: [UInt8]
        switch signer.digestAlgorithm.algorithm {
        case TimeStampOID.sha256: computed = Array(SHA256.hash(data: signed.tstInfoDER))
        case TimeStampOID.sha384: computed = Array(SHA384.hash(data: signed.tstInfoDER))
        case TimeStampOID.sha512: computed = Array(SHA512.hash(data: signed.tstInfoDER))
        default: throw TimeStampError.badSignature("its digest algorithm \(signer.digestAlgorithm.algorithm) is not SHA-2")
        }
        guard Array(signedDigest) == computed else { throw TimeStampError.badSignature("the message-digest attribute is not the TSTInfo's digest") }

        // The signer: the token's certificate the signer identifies, or the configured one.
        var candidates: [Certificate] = [anchor]
        for der in signed.certificates { if let certificate = try? Certificate(derEncoded: der) { candidates.append(certificate) } }
        let named = candidates.filter { certificate in
            if let serial = signer.serialNumber { return Array(certificate.serialNumber.bytes) == Array(serial.drop { $0 == 0 }) || Array(certificate.serialNumber.bytes) == Array(serial) }
            if let keyID = signer.subjectKeyIdentifier { return (try? certificate.extensions.subjectKeyIdentifier)??.keyIdentifier == keyID }
            return false
        }
        guard !named.isEmpty else { throw TimeStampError.untrustedSigner("the token carries no certificate of its signer") }
        let algorithm: Certificate.SignatureAlgorithm
        switch signer.signatureAlgorithm.algorithm {
        case TimeStampOID.ecdsaWithSHA256: algorithm = .ecdsaWithSHA256
        case TimeStampOID.ecdsaWithSHA384: algorithm = .ecdsaWithSHA384
        case TimeStampOID.ecdsaWithSHA512: algorithm = .ecdsaWithSHA512
        case TimeStampOID.sha256WithRSA: algorithm = .sha256WithRSAEncryption
        case TimeStampOID.sha384WithRSA: algorithm = .sha384WithRSAEncryption
        case TimeStampOID.sha512WithRSA: algorithm = .sha512WithRSAEncryption
        case TimeStampOID.ecPublicKey where signer.digestAlgorithm.algorithm == TimeStampOID.sha256: algorithm = .ecdsaWithSHA256
        case TimeStampOID.rsaEncryption where signer.digestAlgorithm.algorithm == TimeStampOID.sha256: algorithm = .sha256WithRSAEncryption
        default: throw TimeStampError.badSignature("its signature algorithm \(signer.signatureAlgorithm.algorithm) is not supported")
        }
        // Of the certificates the signer's identifier names (a serial can repeat across issuers), the one whose
        // key made the signature; the chain below then decides whether that certificate is trusted.
        guard let leaf = named.first(where: { $0.publicKey.isValidSignature(signer.signature, for: signer.signedAttributesDER, signatureAlgorithm: algorithm) }) else {
            throw TimeStampError.badSignature("the signer's key did not sign it")
        }

        // The time, then the chain at that time (an expired or not yet valid certificate cannot stamp).
        let time: Date
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        (components.year, components.month, components.day) = (info.genTime.year, info.genTime.month, info.genTime.day)
        (components.hour, components.minute, components.second) = (info.genTime.hours, info.genTime.minutes, info.genTime.seconds)
        components.nanosecond = Int(info.genTime.fractionalSeconds * 1_000_000_000)
        guard let stamped = Calendar(identifier: .gregorian).date(from: components) else { throw TimeStampError.malformed("its time") }
        time = stamped
        guard bounds.contains(time) else {
            throw TimeStampError.timeOutOfBounds("\(time) is not between \(bounds.lowerBound) and \(bounds.upperBound)")
        }
        if leaf == anchor {
            // The authority's own certificate is pinned (it is not a CA, so no chain is built to it): valid at the
            // stamped time, and allowed to stamp.
            guard leaf.notValidBefore <= time, time <= leaf.notValidAfter else {
                throw TimeStampError.untrustedSigner("the configured certificate was not valid at \(time)")
            }
            if let problem = TimeStampingPolicy.problem(leaf) { throw TimeStampError.untrustedSigner(problem) }
        } else {
            var verifier = Verifier(rootCertificates: CertificateStore([anchor])) {
                TimeStampingPolicy()
                RFC5280Policy(validationTime: time)
            }
            let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(candidates))
            if case let .couldNotValidate(failures) = result {
                throw TimeStampError.untrustedSigner(failures.map { "\($0.policyFailureReason)" }.joined(separator: "; "))
            }
        }
        return VerifiedTimeStamp(time: time, serialNumber: info.serialNumber.map { String(format: "%02x", $0) }.joined(),
                                 policy: info.policy.description, signer: leaf.subject.description)
    }
}

/// RFC 3161 §2.3: the authority's certificate carries exactly one extended key usage, id-kp-timeStamping,
/// marked critical; this policy handles that critical extension and requires it.
struct TimeStampingPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    mutating func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        Self.problem(chain.leaf).map { problem in .failsToMeetPolicy(reason: problem) } ?? .meetsPolicy
    }

    /// Why `leaf` may not stamp, or nil.
    static func problem(_ leaf: Certificate) -> String? {
        guard let usage = try? leaf.extensions.extendedKeyUsage, usage.contains(.timeStamping) else {
            return "the signer's certificate does not allow time-stamping (extended key usage id-kp-timeStamping)"
        }
        guard leaf.extensions[oid: .X509ExtensionID.extendedKeyUsage]?.critical == true else {
            return "the signer's extended key usage is not marked critical (RFC 3161 §2.3)"
        }
        return nil
    }
}

/// A time-stamping authority's certificate as a file gives it.
public enum TimeStampCertificate {
    /// The DER of a certificate given as PEM (`-----BEGIN CERTIFICATE-----`) or DER, checked to parse as an
    /// X.509 certificate that may stamp (extended key usage id-kp-timeStamping) or that can issue one (a CA).
    /// - Throws: `TimeStampError.malformed` naming what is wrong.
    public static func der(_ bytes: [UInt8]) throws -> [UInt8] {
        let certificate: Certificate
        do {
            if let text = String(validating: bytes, as: UTF8.self), text.contains("-----BEGIN CERTIFICATE-----") {
                certificate = try Certificate(pemEncoded: text)
            } else {
                certificate = try Certificate(derEncoded: bytes)
            }
        } catch { throw TimeStampError.malformed("not an X.509 certificate (PEM or DER): \(error)") }
        let stamps = (try? certificate.extensions.extendedKeyUsage)??.contains(.timeStamping) ?? false
        let issues = (try? certificate.extensions.basicConstraints).flatMap { $0 }.map { if case .isCertificateAuthority = $0 { return true } else { return false } } ?? false
        guard stamps || issues else {
            throw TimeStampError.malformed("the certificate neither may stamp (id-kp-timeStamping) nor is a CA that could issue one that may")
        }
        var serializer = DER.Serializer()
        do { try serializer.serialize(certificate) } catch { throw TimeStampError.malformed("\(error)") }
        return serializer.serializedBytes
    }
}
