/// Byte tests on eight bytes at once in a `UInt64` ("SIMD within a register"), for scanning
/// text. Portable: no popcount or vector instructions beyond the x86-64 and ARM64 baselines.
enum SWAR {
    static let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    /// A byte repeated in every lane is `byte * ones`.
    static let ones: UInt64 = 0x0101_0101_0101_0101

    /// The top bit set in each byte lane of `word` equal to `byte` (`byte` repeated in `pattern`):
    /// adding 0x7F to a lane's low seven bits sets its top bit unless they are zero, and no carry
    /// crosses lanes, so a lane's top bit ends up clear exactly where the lane differs nowhere.
    @inline(__always)
    static func matches(_ word: UInt64, _ pattern: UInt64) -> UInt64 {
        let difference = word ^ pattern
        return ~(((difference & low7) &+ low7) | difference) & ~low7
    }
}
