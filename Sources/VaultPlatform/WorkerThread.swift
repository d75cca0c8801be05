import SystemPackage
import CPlatform
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX thread that runs one closure; `join()` waits for it to end. Used by pipelines that hand buffers
/// between two threads (`SealedStream.sealPipelined`, the batch ingest), so that hashing, sealing and I/O
/// use both cores.
public final class WorkerThread: @unchecked Sendable {
    private var thread: pthread_t
    private var joined = false

    /// Starts `body` on a new thread named `name` (at most 15 bytes, shown by `top -H` and `perf`).
    /// - Throws: `SystemCallError` when the thread cannot be created.
    public init(name: String, _ body: @escaping @Sendable () -> Void) throws {
        let context = Unmanaged.passRetained(ClosureBox(name: String(decoding: name.utf8.prefix(15), as: UTF8.self), body)).toOpaque()
        #if canImport(Darwin)
        var created: pthread_t? = nil
        #else
        var created = pthread_t()
        #endif
        let status = pthread_create(&created, nil, { raw in
            #if canImport(Darwin)
            let box = Unmanaged<ClosureBox>.fromOpaque(raw).takeRetainedValue()
            #else
            let box = Unmanaged<ClosureBox>.fromOpaque(raw!).takeRetainedValue()
            #endif
            _ = amanah_set_thread_name(box.name)
            box.body()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<ClosureBox>.fromOpaque(context).release()
            throw SystemCallError("pthread_create", errno: Errno(rawValue: status))
        }
        #if canImport(Darwin)
        thread = created!
        #else
        thread = created
        #endif
    }

    /// Waits for the thread to end (once; later calls return at once).
    public func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }

    deinit { if !joined { pthread_join(thread, nil) } }

    private final class ClosureBox {
        let name: String
        let body: @Sendable () -> Void
        public init(name: String, _ body: @escaping @Sendable () -> Void) { self.name = name; self.body = body }
    }
}

/// A mutex with one condition variable (POSIX), for small hand-over structures between threads.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Runs `body` holding the lock.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Holding the lock, waits until `ready()` is true, then runs `body`; wakes every waiter afterwards.
    public func when<T>(_ ready: () -> Bool, _ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        while !ready() { pthread_cond_wait(condition, mutex) }
        return try body()
    }

    /// Runs `body` holding the lock and wakes every waiter afterwards.
    public func changing<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body()
    }
}

/// A value handed between threads under the program's own synchronisation (a `ConditionLock`, a join):
/// the wrapper only tells the compiler so. Use only where every access is ordered by such a hand-over.
public final class HandedOver<Value>: @unchecked Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}
