/// A packed bit per row; in a column's validity, a set bit means the value is present.
public struct Bitmap: Sendable, Hashable {
    /// The 64-bit words; bit `i % 64` of word `i / 64` is row `i`.
    public private(set) var words: [UInt64]
    /// Number of bits.
    public private(set) var count: Int

    /// `count` bits, all set to `value`.
    public init(count: Int, value: Bool) {
        self.count = count
        let wordCount = (count + 63) / 64
        words = Array(repeating: value ? ~0 : 0, count: wordCount)
        if value, count % 64 != 0, wordCount > 0 { words[wordCount - 1] = (1 << UInt64(count % 64)) - 1 }
    }

    /// Wraps words (bits past `count` must be zero).
    public init(words: [UInt64], count: Int) {
        self.words = words
        self.count = count
    }

    /// Bit `index`.
    @inline(__always)
    public subscript(index: Int) -> Bool {
        get { words[index >> 6] & (1 << UInt64(index & 63)) != 0 }
        set {
            if newValue { words[index >> 6] |= 1 << UInt64(index & 63) } else { words[index >> 6] &= ~(1 << UInt64(index & 63)) }
        }
    }

    /// Appends one bit.
    @inline(__always)
    public mutating func append(_ bit: Bool) {
        if count & 63 == 0 { words.append(0) }
        if bit { words[count >> 6] |= 1 << UInt64(count & 63) }
        count += 1
    }

    /// Number of set bits.
    public var setCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
}
