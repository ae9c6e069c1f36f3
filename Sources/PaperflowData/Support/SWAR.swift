/// Byte tests on eight bytes at once in a `UInt64` ("SIMD within a register"), for scanning
/// text. Portable: no popcount or vector instructions beyond the x86-64 and ARM64 baselines.
enum SWAR {
    static let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    static let ones: UInt64 = 0x0101_0101_0101_0101

    /// 1 in each byte lane of `word` that is zero, 0 elsewhere. Exact: adding 0x7F to a byte's
    /// low seven bits sets its top bit unless they are zero, and no carry crosses lanes.
    @inline(__always)
    static func zeroLanes(_ word: UInt64) -> UInt64 {
        let nonzero = ((word & low7) &+ low7) | word
        return (~nonzero >> 7) & ones
    }

    /// The sum of the eight byte lanes (each lane at most 255).
    @inline(__always)
    static func sumLanes(_ lanes: UInt64) -> Int {
        let pairs = (lanes & 0x00FF_00FF_00FF_00FF) &+ ((lanes >> 8) & 0x00FF_00FF_00FF_00FF)
        return Int(truncatingIfNeeded: (pairs &* 0x0001_0001_0001_0001) >> 48)
    }

    /// The top bit set in each byte lane of `word` equal to `byte` (`byte` repeated in `pattern`).
    @inline(__always)
    static func matches(_ word: UInt64, _ pattern: UInt64) -> UInt64 {
        let difference = word ^ pattern
        return ~(((difference & low7) &+ low7) | difference) & ~low7
    }
}
