import SystemPackage
import CPlatform
#if canImport(Glibc)
import Glibc
#endif

/// Connects a producer that writes a stream to a consumer that reads it, through a pipe(2), with the producer
/// on its own `WorkerThread`: constant memory (the pipe's buffer) and both cores busy (for example tar on
/// one side, age encryption on the other). The consumer runs on the calling thread.
public enum PipeWorker {
    private final class Job: @unchecked Sendable {
        let producer: (FileHandleFD) throws -> Void
        let writer: FileHandleFD
        var failure: Error?
        public init(producer: @escaping (FileHandleFD) throws -> Void, writer: FileHandleFD) { self.producer = producer; self.writer = writer }
        func body() {
            do { try producer(writer) } catch { failure = error }
            try? writer.close()
        }
    }

    /// Whether `error` only says that the reading end went away (EPIPE), by its error number.
    private static func isBrokenPipe(_ error: Error) -> Bool {
        (error as? SystemCallError)?.errno == .brokenPipe
    }

    /// Runs `producer` (writing into the pipe) and `consumer` (reading from it) together.
    /// - Returns: the consumer's result.
    /// - Throws: the producer's error if it failed (it explains a consumer's early end of input), else the
    ///   consumer's; `SystemCallError` when the pipe or the thread cannot be made.
    public static func run<T>(producer: @escaping (FileHandleFD) throws -> Void, consumer: (FileHandleFD) throws -> T) throws -> T {
        var fds: [Int32] = [0, 0]
        guard amanah_pipe_cloexec(&fds) == 0 else { throw SystemCallError("pipe") }
        let reader = FileHandleFD(fd: fds[0], path: "pipe")
        let job = Job(producer: producer, writer: FileHandleFD(fd: fds[1], path: "pipe"))
        let thread: WorkerThread
        do { thread = try WorkerThread(name: "amanah-pipe") { job.body() } } catch {
            try? reader.close()
            try? job.writer.close()
            throw error
        }
        var result: T? = nil
        var consumerError: Error? = nil
        do { result = try consumer(reader) } catch { consumerError = error }
        // Unblock a producer still writing, then wait for it.
        try? reader.close()
        thread.join()
        // When both failed, the one that did not merely see the other end go away is the cause.
        if let failure = job.failure, !(consumerError != nil && isBrokenPipe(failure)) { throw failure }
        if let consumerError { throw consumerError }
        return result!
    }
}
