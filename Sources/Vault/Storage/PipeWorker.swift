import VaultPolicy
import CPlatform
#if canImport(Glibc)
import Glibc
#endif
import VaultCrypto

/// Connects a producer that writes a stream to a consumer that reads it, through a pipe(2), with the producer
/// on its own thread: constant memory (the pipe's buffer) and both cores busy (for example tar on one side,
/// age encryption on the other). The consumer runs on the calling thread.
enum PipeWorker {
    private final class Job: @unchecked Sendable {
        let producer: (FileHandleFD) throws -> Void
        let writer: FileHandleFD
        var failure: Error?
        init(producer: @escaping (FileHandleFD) throws -> Void, writer: FileHandleFD) { self.producer = producer; self.writer = writer }
        func body() {
            do { try producer(writer) } catch { failure = error }
            try? writer.close()
        }
    }

    private static func isBrokenPipe(_ error: Error) -> Bool {
        if case let CryptoError.system(_, detail) = error { return detail == String(cString: strerror(EPIPE)) }
        return "\(error)".contains(String(cString: strerror(EPIPE)))
    }

    /// Runs `producer` (writing into the pipe) and `consumer` (reading from it) together.
    /// - Returns: the consumer's result.
    /// - Throws: the producer's error if it failed (it explains a consumer's early end of input), else the
    ///   consumer's.
    static func run<T>(producer: @escaping (FileHandleFD) throws -> Void, consumer: (FileHandleFD) throws -> T) throws -> T {
        var fds: [Int32] = [0, 0]
        guard amanah_pipe_cloexec(&fds) == 0 else { throw VaultError.failed("pipe: \(lastErrorText())") }
        let reader = FileHandleFD(fd: fds[0], path: "pipe")
        let job = Job(producer: producer, writer: FileHandleFD(fd: fds[1], path: "pipe"))
        var thread = pthread_t()
        let unmanaged = Unmanaged.passRetained(job)
        guard pthread_create(&thread, nil, { argument in
            let job = Unmanaged<Job>.fromOpaque(argument!).takeRetainedValue()
            job.body()
            return nil
        }, unmanaged.toOpaque()) == 0 else {
            unmanaged.release()
            throw VaultError.failed("cannot start a worker thread")
        }
        var result: T? = nil
        var consumerError: Error? = nil
        do { result = try consumer(reader) } catch { consumerError = error }
        // Unblock a producer still writing, then wait for it.
        try? reader.close()
        pthread_join(thread, nil)
        // When both failed, the one that did not merely see the other end go away is the cause.
        if let failure = job.failure, !(consumerError != nil && isBrokenPipe(failure)) { throw failure }
        if let consumerError { throw consumerError }
        return result!
    }
}
