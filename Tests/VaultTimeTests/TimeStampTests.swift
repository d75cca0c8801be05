import Foundation
import Testing
@testable import VaultTime
import Crypto

/// RFC 3161 against an offline authority made here with `openssl ts` (an EC P-256 key; OpenSSL 3.0 cannot
/// reply with Ed25519): a token for our request verifies, and a wrong imprint, a wrong nonce, a certificate
/// expired at the stamped time and a certificate that is not the authority's are each refused.
@Suite("RFC 3161 time-stamps", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl"))
struct TimeStampTests {
    /// A folder with an authority: `tsa.key`/`tsa.crt` (self-signed, EKU critical timeStamping), a CA
    /// (`ca.key`/`ca.crt`) that issued `old.crt` for the same key, valid in 2020 only, and `ts.cnf`.
    final class Authority {
        let folder: String

        init() throws {
            folder = NSTemporaryDirectory() + "amanah-tsa-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try """
            [ tsa ]
            default_tsa = tsa_config
            [ tsa_config ]
            serial = ./tsaserial
            crypto_device = builtin
            signer_digest = sha256
            default_policy = 1.3.6.1.4.1.99999.1
            digests = sha256
            accuracy = secs:1
            ess_cert_id_alg = sha256
            [ ca ]
            default_ca = ca_default
            [ ca_default ]
            database = index.txt
            new_certs_dir = .
            serial = caserial
            default_md = sha256
            policy = policy_any
            unique_subject = no
            [ policy_any ]
            commonName = supplied
            [ tsa_ext ]
            extendedKeyUsage = critical,timeStamping
            """.write(toFile: folder + "/ts.cnf", atomically: true, encoding: .utf8)
            try "01\n".write(toFile: folder + "/tsaserial", atomically: true, encoding: .utf8)
            try "01\n".write(toFile: folder + "/caserial", atomically: true, encoding: .utf8)
            try "".write(toFile: folder + "/index.txt", atomically: true, encoding: .utf8)
            try run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "tsa.key"])
            try run(["req", "-new", "-x509", "-key", "tsa.key", "-out", "tsa.crt", "-days", "30", "-subj", "/CN=Test TSA",
                     "-addext", "extendedKeyUsage=critical,timeStamping", "-addext", "basicConstraints=critical,CA:FALSE"])
            try run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"])
            try run(["req", "-new", "-x509", "-key", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", "/CN=Test CA"])
            try run(["req", "-new", "-key", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=Old TSA"])
            try run(["ca", "-batch", "-config", "ts.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-in", "tsa.csr", "-out", "old.crt",
                     "-startdate", "20200101000000Z", "-enddate", "20210101000000Z", "-extensions", "tsa_ext", "-notext"])
            try run(["req", "-new", "-key", "tsa.key", "-out", "current.csr", "-subj", "/CN=Current TSA"])
            try run(["ca", "-batch", "-config", "ts.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-in", "current.csr", "-out", "current.crt",
                     "-days", "30", "-extensions", "tsa_ext", "-notext"])
            try run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "other.key"])
            try run(["req", "-new", "-x509", "-key", "other.key", "-out", "other.crt", "-days", "30", "-subj", "/CN=Other TSA",
                     "-addext", "extendedKeyUsage=critical,timeStamping", "-addext", "basicConstraints=critical,CA:FALSE"])
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }

        @discardableResult
        func run(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: folder)
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw NSError(domain: "openssl \(arguments.joined(separator: " ")): \(output)", code: 1) }
            return output
        }

        /// The DER of a PEM certificate file.
        func der(_ certificate: String) throws -> [UInt8] {
            try run(["x509", "-in", certificate, "-outform", "DER", "-out", certificate + ".der"])
            return Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + certificate + ".der")))
        }

        /// The authority's reply to `query`, signed with `signer` (a certificate of tsa.key).
        func reply(_ query: TimeStampQuery, signer: String = "tsa.crt") throws -> [UInt8] {
            try Data(query.der).write(to: URL(fileURLWithPath: folder + "/q.tsq"))
            try run(["ts", "-reply", "-config", "ts.cnf", "-queryfile", "q.tsq", "-signer", signer, "-inkey", "tsa.key", "-out", "r.tsr"])
            return Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/r.tsr")))
        }
    }

    static let digest = Array(SHA256.hash(data: Array("checkpoint note".utf8)))
    static var aroundNow: ClosedRange<Date> { Date().addingTimeInterval(-300)...Date().addingTimeInterval(300) }

    @Test("a token for our request verifies, and the stock openssl ts -verify accepts our request and its reply")
    func verifies() async throws {
        let authority = try Authority()
        let query = try TimeStampQuery(sha256: Self.digest)
        let token = try TimeStampVerifier.token(fromResponse: try authority.reply(query))
        let verified = try await TimeStampVerifier.verify(token: token, digest: Self.digest, nonce: query.nonce, trusted: try authority.der("tsa.crt"),
                                                          bounds: Self.aroundNow)
        #expect(abs(verified.time.timeIntervalSinceNow) < 120 && verified.policy == "1.3.6.1.4.1.99999.1" && verified.signer.contains("Test TSA"))
        try authority.run(["ts", "-verify", "-queryfile", "q.tsq", "-in", "r.tsr", "-CAfile", "tsa.crt"])
        // Signed under a certificate a CA issued (valid now): verifies against the pinned CA, not against another.
        let chained = try TimeStampVerifier.token(fromResponse: try authority.reply(query, signer: "current.crt"))
        let viaCA = try await TimeStampVerifier.verify(token: chained, digest: Self.digest, nonce: query.nonce, trusted: try authority.der("ca.crt"),
                                                       bounds: Self.aroundNow)
        #expect(viaCA.signer.contains("Current TSA"))
        // A stored token checks without the request's nonce.
        _ = try await TimeStampVerifier.verify(token: token, digest: Self.digest, nonce: nil, trusted: try authority.der("tsa.crt"), bounds: Self.aroundNow)
    }

    @Test("a wrong imprint, a wrong nonce, a certificate expired when it stamped, another authority's certificate, a time out of bounds: each refused")
    func refusals() async throws {
        let authority = try Authority()
        let query = try TimeStampQuery(sha256: Self.digest)
        let token = try TimeStampVerifier.token(fromResponse: try authority.reply(query))
        let trusted = try authority.der("tsa.crt")
        await #expect(throws: TimeStampError.wrongImprint) {
            try await TimeStampVerifier.verify(token: token, digest: Array(repeating: 7, count: 32), nonce: query.nonce, trusted: trusted, bounds: Self.aroundNow)
        }
        await #expect(throws: TimeStampError.wrongNonce) {
            try await TimeStampVerifier.verify(token: token, digest: Self.digest, nonce: [1, 2, 3, 4, 5, 6, 7, 8], trusted: trusted, bounds: Self.aroundNow)
        }
        /// The error a verification throws (nil when it verifies).
        func failure(_ token: [UInt8], trusted: [UInt8], bounds: ClosedRange<Date> = Self.aroundNow) async -> TimeStampError? {
            do { _ = try await TimeStampVerifier.verify(token: token, digest: Self.digest, nonce: query.nonce, trusted: trusted, bounds: bounds); return nil }
            catch { return error as? TimeStampError }
        }
        let other = await failure(token, trusted: try authority.der("other.crt"))
        if case .untrustedSigner? = other {} else { Issue.record("another authority's certificate: \(String(describing: other))") }
        let late = await failure(token, trusted: trusted, bounds: Date().addingTimeInterval(3600)...Date().addingTimeInterval(7200))
        if case .timeOutOfBounds? = late {} else { Issue.record("out of bounds: \(String(describing: late))") }
        // Signed with the same key under a certificate valid only in 2020, chained to the CA: refused at today's stamp.
        let old = try TimeStampVerifier.token(fromResponse: try authority.reply(query, signer: "old.crt"))
        let expired = await failure(old, trusted: try authority.der("ca.crt"))
        if case .untrustedSigner? = expired {} else { Issue.record("an expired certificate: \(String(describing: expired))") }
        // The stamped time changed inside the TSTInfo (same length, still DER): the signed message digest no longer matches.
        let year = Array(String(Calendar(identifier: .gregorian).component(.year, from: Date())).utf8)
        if let at = token.firstRange(of: year)?.lowerBound {
            var redated = token
            redated[at + 3] = redated[at + 3] == UInt8(ascii: "9") ? UInt8(ascii: "8") : redated[at + 3] + 1
            let problem = await failure(redated, trusted: trusted, bounds: Date.distantPast...Date.distantFuture)
            #expect(problem == .badSignature("the message-digest attribute is not the TSTInfo's digest"), "\(String(describing: problem))")
        } else { Issue.record("no year in the token") }
        // A flipped byte in the token: refused.
        var flipped = token
        flipped[flipped.count - 10] ^= 0x01
        #expect(await failure(flipped, trusted: trusted) != nil)
    }
}

