/// Padmé padding (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication with
/// PURBs", PETS 2019, §4): rounds a length up so that its binary form keeps only about log2(log2(L)) + 1
/// significant bits. Overhead is at most about 12 %, and a padded size reveals O(log log L) bits of the
/// original size.
public enum Padme {
    /// The padded length for `length` bytes (≥ `length`).
    public static func paddedLength(_ length: UInt64) -> UInt64 {
        guard length > 2 else { return length }
        let e = UInt64(63 - length.leadingZeroBitCount)              // floor(log2 L)
        let s = UInt64(64 - e.leadingZeroBitCount)                    // floor(log2 E) + 1
        let lastBits = e - s
        let mask: UInt64 = (1 << lastBits) - 1
        return (length + mask) & ~mask
    }
}
