/// The byte format between the parent and the sandbox child. All integers are big-endian.
///
/// Parent → child (standard input):
///
///     "AMSQ" version(1) job(1) flags(1, `requestFlags`) reserved(1)
///     cpuSeconds(u32) addressSpaceBytes(u64) maxInputBytes(u64)
///     parametersLength(u32) inputSizeHint(u64: the input's expected length, 0 when unknown)
///     parameters (JSON: a DerivativeRequest, or empty)
///     input as chunks: length(u32) bytes ... then length 0
///
/// Child → parent (standard output):
///
///     "AMSR" version(1) status(1) reserved(2) payloadLength(u64) payload
///
/// with status 0 (result: a MetadataReport as JSON, or for a derivative u32 header length, a JSON
/// `DerivativeHeader`, then the encoded image), 1 (refused: an ImagingError as JSON) or 2 (failure: text).
enum SandboxProtocol {
    static let requestMagic = Array("AMSQ".utf8)
    static let responseMagic = Array("AMSR".utf8)
    static let version: UInt8 = 1
    static let requestHeaderSize = 4 + 4 + 4 + 8 + 8 + 4 + 8
    static let responseHeaderSize = 4 + 4 + 8
    static let chunkSize = 256 * 1024

    enum Job: UInt8, Sendable {
        case metadata = 1
        case derivative = 2

        init?(name: String) {
            switch name {
            case "metadata": self = .metadata
            case "derivative": self = .derivative
            default: return nil
            }
        }

        var name: String { self == .metadata ? "metadata" : "derivative" }
    }

    enum Status: UInt8 {
        case ok = 0
        case refused = 1
        case failed = 2
    }

    /// The derivative's description sent before its bytes.
    struct DerivativeHeader: Codable {
        var format: DerivativeRequest.Format
        var width: Int
        var height: Int
        var appliedOrientation: Int
        var filledRectangles: [PixelRect]
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be64(_ v: UInt64) -> [UInt8] { be32(UInt32(v >> 32)) + be32(UInt32(v & 0xFFFF_FFFF)) }

    /// Flags of the request header (byte 6), set by the parent from its own environment: bit 0, the person
    /// running Amanah accepts parsing without the system-call filter where seccomp is unavailable
    /// (`AMANAH_SANDBOX_WITHOUT_SECCOMP=1`); bit 1, in DEBUG builds only, the child acts as if seccomp were
    /// unavailable (`AMANAH_TEST_NO_SECCOMP=1`, for tests).
    static var requestFlags: UInt8 {
        var flags: UInt8 = 0
        if getenv("AMANAH_SANDBOX_WITHOUT_SECCOMP").map({ String(cString: $0) == "1" }) ?? false { flags |= 1 }
        #if DEBUG
        if getenv("AMANAH_TEST_NO_SECCOMP").map({ String(cString: $0) == "1" }) ?? false { flags |= 2 }
        #endif
        return flags
    }

    static func requestHeader(job: Job, limits: SandboxLimits, parameters: [UInt8], sizeHint: UInt64 = 0) -> [UInt8] {
        requestMagic + [version, job.rawValue, requestFlags, 0] + be32(UInt32(clamping: limits.cpuSeconds))
            + be64(limits.addressSpaceBytes) + be64(UInt64(clamping: limits.maxInputBytes))
            + be32(UInt32(parameters.count)) + be64(sizeHint) + parameters
    }

    static func response(_ status: Status, _ payload: [UInt8]) -> [UInt8] {
        responseMagic + [version, status.rawValue, 0, 0] + be64(UInt64(payload.count)) + payload
    }
}

#if canImport(Glibc)
import Glibc
#endif
