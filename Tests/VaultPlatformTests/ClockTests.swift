import Testing
import VaultPlatform

/// RFC 3339 timestamps with milliseconds, through Foundation's ISO 8601 formatter (issue 14).
@Suite struct ClockTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_800_000_000_000), "2027-01-15T08:00:00.000Z"),
        (Int64(1_800_000_000_123), "2027-01-15T08:00:00.123Z"),
        (Int64(1_800_000_000_007), "2027-01-15T08:00:00.007Z"),
        (Int64(951_782_399_999), "2000-02-28T23:59:59.999Z"),
        (Int64(951_868_800_050), "2000-03-01T00:00:00.050Z"),   // 2000 was a leap year: 29 February came between
        (Int64(4_102_444_800_000), "2100-01-01T00:00:00.000Z"),
    ])
    func knownAnswers(milliseconds: Int64, expected: String) {
        #expect(Clock.format(milliseconds: milliseconds) == expected)
    }

    @Test func nowIsAfterThisCodeWasWritten() {
        #expect(Clock.nowMilliseconds() > 1_796_600_000_000)
    }
}
