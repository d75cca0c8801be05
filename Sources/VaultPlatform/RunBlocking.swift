import Foundation

/// Runs an async call to completion on the caller's thread (a synchronous command or the sync engine). The
/// caller must not be a task of the cooperative pool that the call needs.
/// - Throws: what `body` throws.
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = Outcome<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

/// The result `runBlocking` hands from its task to the waiting thread.
private final class Outcome<T>: @unchecked Sendable { var result: Result<T, any Error>? }
