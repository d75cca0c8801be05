import VaultCrypto
import VaultPlatform

/// Decrypts a sealed blob and re-seals it under a new key in one pass, in constant memory: the old stream is
/// opened on a worker thread into a pipe that feeds the new stream.
public struct ReencryptingPipe: Sendable {
    /// The plaintext size in bytes (from the item's sealed fields).
    public let size: UInt64

    public init(size: UInt64) { self.size = size }

    /// - Throws: `VaultError.integrity` when the old blob does not open; I/O errors of either side.
    public func run(from source: inout FileHandleFD, oldKey: borrowing SecretBytes, oldAD: [UInt8], to out: FileHandleFD,
             newKey: borrowing SecretBytes, newAD: [UInt8]) throws {
        let input = source
        let oldKeyBox = SecretBox(oldKey.duplicate())
        let newKeyBox = SecretBox(newKey.duplicate())
        try PipeWorker.run(producer: { writer in
            var reading = input
            var sink = writer
            do { try SealedStream.open(from: &reading, to: &sink, key: oldKeyBox.bytes, associatedData: oldAD) } catch {
                throw VaultError.integrity("the old blob does not open: \(error)")
            }
        }, consumer: { reader in
            var pipeSource = reader
            var sink = out
            try SealedStream.seal(from: &pipeSource, contentLength: size, to: &sink, key: newKeyBox.bytes, associatedData: newAD,
                                  paddedLength: Padme.paddedLength(size + 8))
        })
    }
}
