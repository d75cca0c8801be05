import VaultPlatform
import Foundation
import Testing
import VaultCrypto
import VaultFormats

/// Interoperability with the stock tools a tribunal uses (Debian's `age`, `age-keygen`, `minisign`). On a
/// machine without them these tests are reported as skipped, never as passed.
/// Whether the stock tools' tests run: where the tools are installed, and always in CI (`CI=true`), where a
/// missing tool is then a failure rather than a skip.
enum StockTools {
    static let inCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let age = inCI || (TestSupport.executable("age") != nil && TestSupport.executable("age-keygen") != nil)
    static let minisign = inCI || TestSupport.executable("minisign") != nil
    static let tar = inCI || TestSupport.executable("tar") != nil
}

@Suite("interop with stock age")
struct AgeInteropTests {
    static let sizes = [0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024 + 5]

    /// A key pair made by `age-keygen`: the identity file and its recipient.
    static func stockKey(in directory: URL, name: String = "key.txt") throws -> (identityFile: URL, recipient: String) {
        let result = try TestSupport.run("age-keygen", ["-o", name], in: directory)
        #expect(result.status == 0, "\(result.standardError)")
        let url = directory.appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("# public key: ") }) else {
            throw TestSupport.ToolMissing(name: "age-keygen public key line")
        }
        return (url, String(line.dropFirst("# public key: ".count)))
    }

    @Test("files Amanah encrypts decrypt with stock age -d -i (binary and armored)",
          .enabled(if: StockTools.age), arguments: sizes)
    func amanahToStock(size: Int) throws {
        try TestSupport.withTemporaryDirectory { directory in
            let (identityFile, recipientText) = try Self.stockKey(in: directory)
            let recipient = try AgeX25519Recipient(parsing: recipientText)
            let plaintext = TestSupport.pattern(count: size, seed: UInt64(size) &+ 7)
            for armored in [false, true] {
                var source = MemorySource(plaintext)
                var sink = MemorySink()
                try Age.encrypt(from: &source, to: &sink, recipients: [recipient, AgeX25519Identity.generate().recipient],
                                armored: armored)
                let input = directory.appendingPathComponent("in-\(armored).age")
                try Data(sink.bytes).write(to: input)
                let result = try TestSupport.run("age", ["-d", "-i", identityFile.path, input.path], in: directory)
                #expect(result.status == 0, "size \(size) armored \(armored): \(result.standardError)")
                #expect(result.standardOutput == plaintext, "size \(size) armored \(armored): plaintext differs")
            }
        }
    }

    @Test("files stock age -r encrypts decrypt in Amanah with the age-keygen identity file (binary and armored)",
          .enabled(if: StockTools.age), arguments: sizes)
    func stockToAmanah(size: Int) throws {
        try TestSupport.withTemporaryDirectory { directory in
            let (identityFile, recipient) = try Self.stockKey(in: directory)
            let (_, otherRecipient) = try Self.stockKey(in: directory, name: "other.txt")
            var identityBytes = Array(try Data(contentsOf: identityFile))
            let identities = try AgeIdentityFile.parse(identityBytes)
            wipe(&identityBytes)
            let plaintext = TestSupport.pattern(count: size, seed: UInt64(size) &+ 11)
            try Data(plaintext).write(to: directory.appendingPathComponent("plain"))
            for armored in [false, true] {
                let arguments = (armored ? ["-a"] : []) + ["-r", otherRecipient, "-r", recipient, "-o", "out.age", "plain"]
                let result = try TestSupport.run("age", arguments, in: directory)
                #expect(result.status == 0, "\(result.standardError)")
                let file = Array(try Data(contentsOf: directory.appendingPathComponent("out.age")))
                var source = MemorySource(file)
                var sink = MemorySink()
                try Age.decrypt(from: &source, to: &sink, identities: identities)
                #expect(sink.bytes == plaintext, "size \(size) armored \(armored)")
                if !armored {
                    let (header, length) = try AgeHeader.parse(file)
                    #expect(header.serialized() == Array(file[0..<length]), "stock header round-trips exactly")
                }
                try FileManager.default.removeItem(at: directory.appendingPathComponent("out.age"))
            }
        }
    }

    @Test("byte flips: stock age refuses damaged Amanah files, Amanah refuses damaged stock files",
          .enabled(if: StockTools.age))
    func flips() throws {
        try TestSupport.withTemporaryDirectory { directory in
            let (identityFile, recipientText) = try Self.stockKey(in: directory)
            let identities = try AgeIdentityFile.parse(Array(try Data(contentsOf: identityFile)))
            let plaintext = TestSupport.pattern(count: 100_000)
            var source = MemorySource(plaintext)
            var sink = MemorySink()
            try Age.encrypt(from: &source, to: &sink, recipients: [try AgeX25519Recipient(parsing: recipientText)])
            let file = sink.bytes
            for position in [10, 100, 180, 200, 70_000, file.count - 1] {
                var damaged = file
                damaged[position] ^= 0x20
                let url = directory.appendingPathComponent("damaged.age")
                try Data(damaged).write(to: url)
                let result = try TestSupport.run("age", ["-d", "-i", identityFile.path, "-o", "out", url.path], in: directory)
                #expect(result.status != 0, "stock age accepted a flip at \(position)")
            }

            try Data(plaintext).write(to: directory.appendingPathComponent("plain"))
            #expect(try TestSupport.run("age", ["-r", recipientText, "-o", "stock.age", "plain"], in: directory).status == 0)
            let stock = Array(try Data(contentsOf: directory.appendingPathComponent("stock.age")))
            for position in [5, 60, 150, 190, 50_000, stock.count - 1] {
                var damaged = stock
                damaged[position] ^= 0x20
                var damagedSource = MemorySource(damaged)
                var damagedSink = MemorySink()
                #expect(throws: AgeError.self, "Amanah accepted a flip at \(position)") {
                    try Age.decrypt(from: &damagedSource, to: &damagedSink, identities: identities)
                }
            }
        }
    }
}

@Suite("interop with stock minisign")
struct MinisignInteropTests {
    @Test("Amanah ED signatures verify with stock minisign -Vm FILE -p PUB, using the exported key",
          .enabled(if: StockTools.minisign))
    func amanahToStock() throws {
        try TestSupport.withTemporaryDirectory { directory in
            let identity = Identity.generate()
            let message = TestSupport.pattern(count: 300_000)
            try Data(message).write(to: directory.appendingPathComponent("SHA256SUMS"))
            let key = MinisignPublicKey(member: identity.publicKey)
            try Data(try key.fileContents().utf8).write(to: directory.appendingPathComponent("amanah.pub"))
            let signature = try MinisignSignature.sign(message: message, identity: identity,
                                                       trustedComment: "bundle B-7\tsha256:abc")
            try Data(signature.fileContents).write(to: directory.appendingPathComponent("SHA256SUMS.minisig"))

            let result = try TestSupport.run("minisign", ["-Vm", "SHA256SUMS", "-p", "amanah.pub"], in: directory)
            #expect(result.status == 0, "\(result.standardError)")
            #expect(String(decoding: result.standardOutput, as: UTF8.self).contains("Trusted comment: bundle B-7\tsha256:abc"))
            // The -P form with the bare base64 key, and the prehash-only mode (-H), too.
            let inline = try TestSupport.run("minisign", ["-V", "-H", "-m", "SHA256SUMS", "-P", key.base64], in: directory)
            #expect(inline.status == 0, "\(inline.standardError)")

            var changed = message
            changed[0] ^= 1
            try Data(changed).write(to: directory.appendingPathComponent("SHA256SUMS"))
            let refused = try TestSupport.run("minisign", ["-Vm", "SHA256SUMS", "-p", "amanah.pub"], in: directory)
            #expect(refused.status != 0, "stock minisign accepted a changed file")
        }
    }

    @Test("stock minisign -S signatures (prehashed and legacy) verify in Amanah", .enabled(if: StockTools.minisign))
    func stockToAmanah() throws {
        try TestSupport.withTemporaryDirectory { directory in
            let generate = try TestSupport.run("minisign", ["-G", "-W", "-p", "stock.pub", "-s", "stock.key"], in: directory)
            #expect(generate.status == 0, "\(generate.standardError)")
            let message = TestSupport.pattern(count: 150_000)
            try Data(message).write(to: directory.appendingPathComponent("file.bin"))
            let publicKeyFile = Array(try Data(contentsOf: directory.appendingPathComponent("stock.pub")))
            let publicKey = try MinisignPublicKey(fileContents: publicKeyFile)
            // Stock minisign prints the key id with printf's %llX: upper case, without leading zeros.
            let unpadded = String(publicKey.keyIDText.drop { $0 == "0" })
            #expect(String(decoding: publicKeyFile, as: UTF8.self).contains("minisign public key \(unpadded)\n"))

            let sign = try TestSupport.run("minisign", ["-S", "-s", "stock.key", "-m", "file.bin", "-t", "from stock minisign"],
                                           in: directory)
            #expect(sign.status == 0, "\(sign.standardError)")
            let signatureBytes = Array(try Data(contentsOf: directory.appendingPathComponent("file.bin.minisig")))
            let signature = try MinisignSignature(fileContents: signatureBytes)
            #expect(signature.algorithm == .prehashed)
            #expect(signature.fileContents == signatureBytes)
            #expect(try signature.verify(message: message, publicKey: publicKey) == .valid(trustedComment: "from stock minisign"))
            var changed = message
            changed[149_999] ^= 4
            #expect(try signature.verify(message: changed, publicKey: publicKey) == .invalidSignature)

            let legacy = try TestSupport.run("minisign", ["-S", "-l", "-s", "stock.key", "-m", "file.bin", "-x", "legacy.minisig",
                                                          "-t", "legacy"], in: directory)
            #expect(legacy.status == 0, "\(legacy.standardError)")
            let legacySignature = try MinisignSignature(fileContents: Array(try Data(contentsOf: directory.appendingPathComponent("legacy.minisig"))))
            #expect(legacySignature.algorithm == .legacy)
            #expect(try legacySignature.verify(message: message, publicKey: publicKey) == .legacyRefused)
            #expect(try legacySignature.verify(message: message, publicKey: publicKey, allowLegacy: true) == .valid(trustedComment: "legacy"))
        }
    }
}
