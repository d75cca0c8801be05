import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VaultPlatform

/// Sends RFC 3161 requests over HTTP (RFC 3161 §3.4: POST `application/timestamp-query`, answer
/// `application/timestamp-reply`) with async-http-client; no redirect is followed and an answer is read up to
/// 1 MiB.
public enum TimeStampClient {
    /// The authority's response (DER) to `query`, from `url`.
    /// - Throws: `TimeStampError.malformed` for an HTTP failure or an answer that is not a reply, naming the URL
    ///   (never a credential: a URL with user information is refused).
    public static func fetch(_ query: TimeStampQuery, from url: String, timeoutSeconds: Int64 = 30) throws -> [UInt8] {
        if url.contains("@") { throw TimeStampError.malformed("the authority's URL must not carry credentials") }
        return try runBlocking {
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow
            configuration.timeout = .init(connect: .seconds(10), read: .seconds(timeoutSeconds))
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/timestamp-query")
                request.body = .bytes(ByteBuffer(bytes: query.der))
                let response = try await client.execute(request, timeout: .seconds(timeoutSeconds))
                let body = try await response.body.collect(upTo: 1 << 20)
                try await client.shutdown()
                guard response.status == .ok else {
                    throw TimeStampError.malformed("\(url) answered HTTP \(response.status.code)")
                }
                return Array(buffer: body)
            } catch {
                try? await client.shutdown()
                if let error = error as? TimeStampError { throw error }
                throw TimeStampError.malformed("\(url) could not be asked: \(error)")
            }
        }
    }

    /// `TimeStampVerifier.verify` for a caller that is not async (a command).
    public static func verify(token: [UInt8], digest: [UInt8], nonce: [UInt8]?, trusted: [UInt8], bounds: ClosedRange<Date>) throws -> VerifiedTimeStamp {
        try runBlocking { try await TimeStampVerifier.verify(token: token, digest: digest, nonce: nonce, trusted: trusted, bounds: bounds) }
    }
}
