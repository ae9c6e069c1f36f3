/// Little-endian loads that read zeros past either end of a buffer, so a bit reader near an edge
/// needs no special case and never reads outside its bytes.
@inline(__always)
func loadPadded64(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt64 {
    if index >= 0, index + 8 <= bytes.count {
        return UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
    }
    var value: UInt64 = 0
    for offset in 0..<8 where index + offset >= 0 && index + offset < bytes.count {
        value |= UInt64(bytes[index + offset]) << (8 * offset)
    }
    return value
}

/// A bitstream read from its end towards its start, most significant bit first — how Zstandard
/// writes its Huffman and FSE streams (RFC 8878 §4.1): the last byte's highest set bit marks where
/// the data begin. Reading past the start yields zeros and leaves `position` negative, which
/// callers check (`isOverflowed`, `isExhausted`).
struct BackwardBits {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Bits `0 ..< position` are still unread; bit 0 is the lowest bit of the first byte.
    private(set) var position: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) throws(Zstd.Failure) {
        guard let last = bytes.last, last != 0 else { throw Zstd.Failure("a bitstream lacks its end marker") }
        self.bytes = bytes
        position = (bytes.count - 1) * 8 + (7 - last.leadingZeroBitCount)
    }

    /// The next `count` (≤ 56) bits without consuming them.
    @inline(__always)
    func peek(_ count: Int) -> UInt64 {
        let start = position - count
        if start >= 0 {
            return (loadPadded64(bytes, at: start >> 3) &>> UInt64(start & 7)) & ((1 &<< UInt64(count)) &- 1)
        }
        guard position > 0 else { return 0 }
        return (loadPadded64(bytes, at: 0) & ((1 &<< UInt64(position)) &- 1)) &<< UInt64(-start)
    }

    @inline(__always)
    mutating func read(_ count: Int) -> UInt64 {
        guard count > 0 else { return 0 }
        let value = peek(count)
        position -= count
        return value
    }

    @inline(__always)
    mutating func skip(_ count: Int) { position -= count }

    /// Whether more bits were read than the stream holds.
    var isOverflowed: Bool { position < 0 }
    /// Whether every bit was read, exactly.
    var isExhausted: Bool { position == 0 }
}

/// A bitstream read from its start, least significant bit first (FSE table descriptions).
struct ForwardBits {
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    @inline(__always)
    func peek(_ count: Int) -> UInt64 {
        (loadPadded64(bytes, at: position >> 3) &>> UInt64(position & 7)) & ((1 &<< UInt64(count)) &- 1)
    }

    @inline(__always)
    mutating func read(_ count: Int) -> UInt64 {
        let value = peek(count)
        position += count
        return value
    }

    @inline(__always)
    mutating func skip(_ count: Int) { position += count }

    /// Whole bytes used so far.
    var bytesUsed: Int { (position + 7) / 8 }
}
