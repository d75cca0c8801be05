import CPlatform
import Testing

/// Issue 16: the parser's system-call filter allowed every `prctl`, `stat` and `statx` of any path, and memory
/// that is writable and executable at once. Each probe is a forked child that installs the filter and makes
/// one call (`amanah_parser_filter_probe`): 0 the call succeeded, 1 it failed with EACCES or EPERM.
@Suite struct ParserFilterTests {
    @Test(arguments: [
        (0, 1, "mmap read-write-exec"),
        (1, 1, "mprotect to write+exec"),
        (2, 1, "prctl(PR_SET_DUMPABLE)"),
        (3, 1, "stat of a path"),
        (4, 1, "statx of a path"),
        (5, 0, "fstat of a descriptor"),
        (6, 0, "mmap read-write"),
        (7, 0, "prctl(PR_SET_NAME)"),
        (8, 1, "mprotect of a written page to read+exec"),
    ])
    func theFilterRefusesWhatNoParserNeeds(probe: Int32, expected: Int32, what: String) {
        #expect(amanah_parser_filter_probe(probe) == expected, "\(what)")
    }
}
