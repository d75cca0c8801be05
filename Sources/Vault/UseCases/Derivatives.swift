import VaultCrypto
import VaultGovernance
import VaultImaging
import VaultPlatform

/// Makes derivatives in the key-less sandbox (the vault passes the real client; tests may pass another).
public protocol DerivativeMaking: Sendable {
    /// A derivative of the plaintext in `source` (the original's bytes), per `request`.
    func makeDerivative(from source: any ByteSource, request: DerivativeRequest) throws -> Derivative
}

extension SandboxClient: DerivativeMaking {
    /// Makes the derivative in the sandbox, then checks its structure here, outside it: only a clean file
    /// (no metadata, no thumbnail, nothing after the end marker) is released.
    public func makeDerivative(from source: any ByteSource, request: DerivativeRequest) throws -> Derivative {
        let derivative = try makeDerivative(from: AnySource(source), request: request, limits: .derivative)
        if let problem = DerivativeStructure.problem(derivative.bytes, format: derivative.format) {
            throw VaultError.integrity("the sandbox returned a derivative that is not clean (\(problem)); nothing is released")
        }
        return derivative
    }
}

/// Wraps an existential byte source for generic APIs.
struct AnySource: ByteSource {
    var inner: any ByteSource
    init(_ inner: any ByteSource) { self.inner = inner }
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try inner.read(into: buffer) }
}

extension Session {
    /// The image types Amanah can decode (in the sandbox) to make a derivative.
    package static let decodableImages: Set<String> = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/tiff", "image/gif"]
}
