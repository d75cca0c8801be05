internal import CPlatform
internal import CVipsShim
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The key-less child process that parses untrusted files (DESIGN.md, "Untrusted input runs apart from
/// keys"). The `amanah` binary runs it as the hidden command `amanah __sandbox <job>`; `SandboxClient`
/// starts it with an empty environment and streams the input to its standard input.
///
/// Before it reads a byte of the input it: closes every descriptor but 0, 1 and 2; turns core dumps off;
/// sets RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE = 0 and RLIMIT_NOFILE from the request header; sets
/// no_new_privs; starts libvips (derivative jobs only; it opens its modules); then installs the parser
/// seccomp filter (`amanah_install_parser_seccomp`), after which it can only read, write, manage memory
/// and threads, and exit.
public enum SandboxChild {
    /// Runs the job named `job` ("metadata" or "derivative") and exits: status 0 after writing a result
    /// (including a refusal), 70 when it could not even answer.
    public static func main(job jobName: String) -> Never {
        closeInheritedDescriptors()
        _ = amanah_disable_core_dumps()
        guard let job = SandboxProtocol.Job(name: jobName) else { fail("unknown sandbox job") }
        // The fixed header comes from the parent (trusted): it carries the limits to set before any input.
        guard let header = readExactly(SandboxProtocol.requestHeaderSize),
              Array(header[0..<4]) == SandboxProtocol.requestMagic, header[4] == SandboxProtocol.version else {
            fail("malformed request header")
        }
        guard header[5] == job.rawValue else { fail("request is for another job") }
        let view = ByteView(header)
        let cpu = (try? view.u32(8)) ?? 10
        let addressSpace = (try? view.u64(12)) ?? (1 << 30)
        let maxInput = Int(clamping: (try? view.u64(20)) ?? 0)
        let parametersLength = Int((try? view.u32(28)) ?? 0)
        let sizeHint = Int(clamping: (try? view.u64(32)) ?? 0)

        guard amanah_set_limit(Int32(AMANAH_LIMIT_CPU), UInt64(cpu)) == 0,
              amanah_set_limit(Int32(AMANAH_LIMIT_AS), addressSpace) == 0,
              amanah_set_limit(Int32(AMANAH_LIMIT_FSIZE), 0) == 0,
              amanah_set_limit(Int32(AMANAH_LIMIT_NOFILE), 64) == 0,
              amanah_set_no_new_privs() == 0 else {
            fail("cannot set resource limits")
        }
        if job == .derivative && amanah_vips_init() != 0 {
            fail("cannot start libvips: " + String(cString: amanah_vips_last_error()))
        }
        // Fail closed (issue 16): without the filter nothing untrusted is parsed, unless the person running
        // Amanah said otherwise where seccomp is unavailable (header flag bit 0).
        let flags = header[6]
        let installed: Int32
        // Bit 1 (act as if seccomp were unavailable) is for tests of DEBUG builds; a release child ignores it.
        #if DEBUG
        let pretendUnavailable = flags & 2 != 0
        #else
        let pretendUnavailable = false
        #endif
        if pretendUnavailable { errno = ENOSYS; installed = -1 } else { installed = amanah_install_parser_seccomp() }
        if installed != 0 {
            let unavailable = errno == ENOSYS || errno == EINVAL
            if !(unavailable && flags & 1 != 0) {
                fail(unavailable
                     ? "the system-call filter (seccomp) is not available on this system, and Amanah parses no untrusted file without it (a Linux kernel with seccomp filters is needed; AMANAH_SANDBOX_WITHOUT_SECCOMP=1 runs without it, at your risk)"
                     : "cannot install the system-call filter (seccomp): \(String(cString: strerror(errno)))")
            }
        }

        // From here on, everything read is untrusted.
        guard parametersLength <= 1 << 20, let parameters = readExactly(parametersLength) else { fail("malformed parameters") }
        let input: [UInt8]
        switch readChunks(limit: maxInput, sizeHint: sizeHint) {
        case .success(let bytes): input = bytes
        case .failure(let error):
            respond(.refused, (try? JSONEncoder().encode(error)).map { Array($0) } ?? [])
        }

        switch job {
        case .metadata:
            let report = MetadataExtractor.extract(bytes: input)
            guard let json = try? JSONEncoder().encode(report) else { fail("cannot encode the report") }
            respond(.ok, Array(json))
        case .derivative:
            guard let request = try? JSONDecoder().decode(DerivativeRequest.self, from: Data(parameters)) else {
                fail("malformed derivative request")
            }
            do {
                let derivative = try DerivativeMaker.make(bytes: input, request: request)
                let header = SandboxProtocol.DerivativeHeader(format: derivative.format, width: derivative.width,
                                                              height: derivative.height,
                                                              appliedOrientation: derivative.appliedOrientation,
                                                              filledRectangles: derivative.filledRectangles)
                guard let json = try? JSONEncoder().encode(header) else { fail("cannot encode the result") }
                respond(.ok, SandboxProtocol.be32(UInt32(json.count)) + Array(json) + derivative.bytes)
            } catch {
                respond(.refused, (try? JSONEncoder().encode(error)).map { Array($0) } ?? [])
            }
        }
    }

    /// Runs the sandbox fork server (`amanah __sandbox fork-server`, started by `SandboxForkServer`): with
    /// every descriptor but 0 (its socket), 1 and 2 closed, core dumps off and no_new_privs set, it serves
    /// fork requests until the parent closes the socket. Each forked child goes on exactly as a spawned one,
    /// in `main(job:)`. The server itself never reads a byte of a file.
    public static func serveForks() -> Never {
        closeInheritedDescriptors()
        _ = amanah_disable_core_dumps()
        guard amanah_set_no_new_privs() == 0 else { exit(70) }
        var job = [CChar](repeating: 0, count: 32)
        if amanah_zygote_serve(0, &job, job.count) == 0 {
            main(job: String(decoding: job.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        exit(70)
    }

    /// Closes every open descriptor above 2, found through /proc/self/fd (or up to 4096 without /proc).
    private static func closeInheritedDescriptors() {
        var descriptors: [Int32] = []
        if let dir = opendir("/proc/self/fd") {
            let own = dirfd(dir)
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if let fd = Int32(name), fd > 2, fd != own { descriptors.append(fd) }
            }
            closedir(dir)
        } else {
            descriptors = Array(3..<4096)
        }
        for fd in descriptors { _ = close(fd) }
    }

    private static func readExactly(_ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = out.withUnsafeMutableBytes { read(0, $0.baseAddress! + filled, count - filled) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            filled += n
        }
        return out
    }

    /// Reads the framed input. With a size hint (from the parent, so trusted only as far as the limit), the
    /// buffer is made once at that size and each chunk read straight into it; input beyond the hint is
    /// appended.
    private static func readChunks(limit: Int, sizeHint: Int) -> Result<[UInt8], ImagingError> {
        var input = [UInt8](repeating: 0, count: min(max(0, sizeHint), limit))
        var filled = 0
        while true {
            guard let lengthBytes = readExactly(4) else { return .failure(.decodeFailed("input stream ended early")) }
            let length = Int(lengthBytes[0]) << 24 | Int(lengthBytes[1]) << 16 | Int(lengthBytes[2]) << 8 | Int(lengthBytes[3])
            if length == 0 {
                input.removeLast(input.count - filled)
                return .success(input)
            }
            guard length <= SandboxProtocol.chunkSize else { return .failure(.decodeFailed("malformed input chunk")) }
            guard filled + length <= limit else { return .failure(.inputTooLarge(bytes: filled + length, limit: limit)) }
            if filled + length > input.count { input += [UInt8](repeating: 0, count: filled + length - input.count) }
            let complete = input.withUnsafeMutableBytes { readExactly(into: $0.baseAddress! + filled, length) }
            guard complete else { return .failure(.decodeFailed("input stream ended early")) }
            filled += length
        }
    }

    private static func readExactly(into base: UnsafeMutableRawPointer, _ count: Int) -> Bool {
        var done = 0
        while done < count {
            let n = read(0, base + done, count - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    private static func respond(_ status: SandboxProtocol.Status, _ payload: [UInt8]) -> Never {
        let frame = SandboxProtocol.response(status, payload)
        var offset = 0
        while offset < frame.count {
            let n = frame.withUnsafeBytes { write(1, $0.baseAddress! + offset, frame.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { _exit(70) }
            offset += n
        }
        // Everything went out with write(2): end without running the exit handlers and destructors of the
        // ~120 libraries mapped (a measurable share of each child's time).
        _exit(0)
    }

    private static func fail(_ message: String) -> Never {
        respond(.failed, Array(message.utf8))
    }
}
