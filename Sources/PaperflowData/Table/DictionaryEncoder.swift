#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Assigns each distinct string a code in order of first appearance: the dictionary of a
/// category column, and the key codes of a group-by on a string column.
///
/// An open-addressing table over UTF-8 byte slices (a word-at-a-time multiply-xorshift hash, linear probing), so encoding
/// a field read from a file never makes a `String`.
struct DictionaryEncoder {
    /// The distinct strings, code `i` at position `i`.
    private(set) var dictionary = StringStorage()
    private var slots = [Int32](repeating: -1, count: 64)
    private var hashes: [UInt64] = []

    /// Number of distinct strings seen.
    var count: Int { hashes.count }

    /// The code of `value`, adding it to the dictionary if new.
    mutating func code(for value: String) -> Int32 {
        var copy = value
        return copy.withUTF8 { code(forUTF8: UnsafeRawBufferPointer($0)) }
    }

    /// The code of the string with these UTF-8 bytes, adding it if new.
    @inline(__always)
    mutating func code(forUTF8 bytes: UnsafeRawBufferPointer) -> Int32 {
        let hash = Self.hash(bytes)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let code = slots[slot]
            if code < 0 { break }
            if hashes[Int(code)] == hash, dictionaryEntry(Int(code), equals: bytes) { return code }
            slot = (slot + 1) & mask
        }
        let code = Int32(dictionary.count)
        dictionary.append(utf8: bytes)
        hashes.append(hash)
        slots[slot] = code
        if hashes.count * 2 > slots.count { grow() }
        return code
    }

    @inline(__always)
    private func dictionaryEntry(_ code: Int, equals bytes: UnsafeRawBufferPointer) -> Bool {
        let start = Int(dictionary.offsets[code]), end = Int(dictionary.offsets[code + 1])
        guard end - start == bytes.count else { return false }
        guard let other = bytes.baseAddress else { return true }
        return dictionary.bytes.withUnsafeBytes { entry in
            let entry = UnsafeRawBufferPointer(start: entry.baseAddress! + start, count: bytes.count)
            if bytes.count <= 16 { return Self.shortWords(entry) == Self.shortWords(bytes) }
            return memcmp(entry.baseAddress!, other, bytes.count) == 0
        }
    }

    /// Up to 16 bytes as two words that differ whenever same-length strings do: overlapping
    /// loads from the front and the back, never past the end.
    @inline(__always)
    private static func shortWords(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        let base = bytes.baseAddress!, count = bytes.count
        if count >= 8 {
            return (base.loadUnaligned(as: UInt64.self), base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
        }
        if count >= 4 {
            return (UInt64(base.loadUnaligned(as: UInt32.self)), UInt64(base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)))
        }
        var word: UInt64 = 0
        for index in 0..<count { word |= UInt64(base.load(fromByteOffset: index, as: UInt8.self)) << (8 * UInt64(index)) }
        return (word, 0)
    }

    /// A hash of the bytes, a word at a time (a multiply-xorshift mix; only this table uses it,
    /// and codes follow first appearance, so it need not be stable across versions).
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        @inline(__always) func mix(_ value: UInt64) -> UInt64 {
            let product = value &* multiplier
            return product ^ (product >> 32)
        }
        var hash = UInt64(bytes.count) &* multiplier
        guard let base = bytes.baseAddress else { return hash }
        if bytes.count <= 16 {
            let (first, second) = shortWords(bytes)
            hash = mix(mix(hash ^ first) ^ second)
        } else {
            var index = 0
            while index + 8 <= bytes.count {
                hash = mix(hash ^ base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                index += 8
            }
            hash = mix(hash ^ base.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self))
        }
        return hash ^ (hash >> 29)
    }

    /// Adds `other`'s strings in its order; returns the code here of each of its codes.
    mutating func merge(_ other: DictionaryEncoder) -> [Int32] {
        (0..<other.count).map { code in other.dictionary.withUTF8(code) { self.code(forUTF8: UnsafeRawBufferPointer($0)) } }
    }

    /// Forgets the strings added after the first `count` (rows read from a file turned out bad).
    mutating func truncate(to count: Int) {
        guard count < hashes.count else { return }
        hashes.removeLast(hashes.count - count)
        dictionary = StringStorage(offsets: Array(dictionary.offsets.prefix(count + 1)),
                                   bytes: Array(dictionary.bytes.prefix(Int(dictionary.offsets[count]))))
        rebuild(slotCount: slots.count)
    }

    private mutating func grow() {
        rebuild(slotCount: slots.count * 2)
    }

    private mutating func rebuild(slotCount: Int) {
        slots = [Int32](repeating: -1, count: slotCount)
        let mask = slots.count - 1
        for (code, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(code)
        }
    }
}
