/// Finds the first byte of a buffer that is not well-formed UTF-8 (RFC 3629: no overlong forms,
/// no surrogates, nothing above U+10FFFF). ASCII runs go eight bytes a step; the buffer is
/// checked in parallel slices, each starting at a character boundary.
enum UTF8Validation {
    /// The offset of the first invalid byte at or after `start`, or nil.
    static func firstInvalid(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        let count = bytes.count - start
        guard count > 0 else { return nil }
        let parts = count < 1 << 20 ? 1 : 16
        var bounds = (0...parts).map { start + count * $0 / parts }
        // Each slice begins at a character boundary (not on a continuation byte).
        for i in 1..<parts {
            var steps = 0
            while steps < 3, bounds[i] < bytes.count, bytes[bounds[i]] & 0xC0 == 0x80 { bounds[i] += 1; steps += 1 }
        }
        var found = [Int?](repeating: nil, count: parts)
        found.withUnsafeMutableBufferPointer { found in
            Parallel.forEach(parts) { part in
                found[part] = scan(bytes, from: bounds[part], to: max(bounds[part], bounds[part + 1]))
            }
        }
        return found.lazy.compactMap { $0 }.first
    }

    /// Checks the characters that start in `from..<to` (the last may run past `to`).
    static func scan(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        var i = from
        let base = bytes.baseAddress!
        while i < to {
            if i + 8 <= to, base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let lead = bytes[i]
            if lead < 0x80 { i += 1; continue }
            let length: Int, low: UInt8, high: UInt8
            switch lead {
            case 0xC2...0xDF: length = 2; low = 0x80; high = 0xBF
            case 0xE0: length = 3; low = 0xA0; high = 0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3; low = 0x80; high = 0xBF
            case 0xED: length = 3; low = 0x80; high = 0x9F
            case 0xF0: length = 4; low = 0x90; high = 0xBF
            case 0xF1...0xF3: length = 4; low = 0x80; high = 0xBF
            case 0xF4: length = 4; low = 0x80; high = 0x8F
            default: return i
            }
            guard i + length <= bytes.count, (low...high).contains(bytes[i + 1]) else { return i }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }
}
