#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Assigns each distinct string a code in order of first appearance: the dictionary of a
/// category column, and the key codes of a group-by on a string column.
///
/// An open-addressing table (linear probing) of codes over UTF-8 byte slices, so encoding a
/// field read from a file never makes a `String`. Beside the dictionary, each code keeps its
/// string's length and, for strings of up to 16 bytes (codes, city names, years), the string
/// itself as two words: such a lookup compares two words and never touches the dictionary's
/// bytes. The table holds 4-byte codes only, so that it stays in cache for thousands of strings.
struct DictionaryEncoder {
    private struct Key {
        var first: UInt64
        var second: UInt64
        var length: Int
    }

    /// The distinct strings, code `i` at position `i`.
    private(set) var dictionary = StringStorage()
    /// Codes; -1 marks an empty slot.
    private var slots = [Int32](repeating: -1, count: 64)
    /// Each code's key words.
    private var keys: [Key] = []

    /// Number of distinct strings seen.
    var count: Int { dictionary.count }

    /// The code of `value`, adding it to the dictionary if new.
    mutating func code(for value: String) -> Int32 {
        var copy = value
        return copy.withUTF8 { code(forUTF8: UnsafeRawBufferPointer($0)) }
    }

    /// The code of the string with these UTF-8 bytes, adding it if new.
    @inline(__always)
    mutating func code(forUTF8 bytes: UnsafeRawBufferPointer) -> Int32 {
        let (first, second) = Self.words(bytes)
        let short = bytes.count <= 16
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(first, second, bytes)) & mask
        while true {
            let code = slots[slot]
            if code < 0 { break }
            let key = keys[Int(code)]
            if key.length == bytes.count, key.first == first, key.second == second, short || dictionaryEntry(Int(code), equals: bytes) {
                return code
            }
            slot = (slot + 1) & mask
        }
        let code = Int32(dictionary.count)
        dictionary.append(utf8: bytes)
        keys.append(Key(first: first, second: second, length: bytes.count))
        slots[slot] = code
        if dictionary.count * 2 > slots.count { rebuild(slotCount: slots.count * 2) }
        return code
    }

    private func dictionaryEntry(_ code: Int, equals bytes: UnsafeRawBufferPointer) -> Bool {
        dictionary.withUTF8(code) { entry in
            entry.count == bytes.count && (bytes.isEmpty || memcmp(entry.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
    }

    /// Two words that tell strings of the same length apart when they hold at most 16 bytes
    /// (overlapping loads from the front and the back, never past the end); for longer strings,
    /// the front and back words, which the hash then mixes with the rest.
    @inline(__always)
    private static func words(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        guard let base = bytes.baseAddress else { return (0, 0) }
        let count = bytes.count
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

    /// A multiply-xorshift hash of the length and the bytes (only this table uses it, and codes
    /// follow first appearance, so it need not be stable across versions): strings of up to 16
    /// bytes are their two words; longer ones are hashed a word at a time.
    @inline(__always)
    private static func hash(_ first: UInt64, _ second: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        @inline(__always) func mix(_ hash: UInt64, _ word: UInt64) -> UInt64 {
            let product = (hash ^ word) &* multiplier
            return product ^ (product >> 32)
        }
        var hash = mix(UInt64(truncatingIfNeeded: bytes.count), first)
        if bytes.count > 16, let base = bytes.baseAddress {
            var index = 8
            while index + 8 < bytes.count {
                hash = mix(hash, base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                index += 8
            }
        }
        hash = mix(hash, second)
        return hash ^ (hash >> 29)
    }

    /// Adds `other`'s strings in its order; returns the code here of each of its codes.
    mutating func merge(_ other: DictionaryEncoder) -> [Int32] {
        (0..<other.count).map { code in other.dictionary.withUTF8(code) { self.code(forUTF8: UnsafeRawBufferPointer($0)) } }
    }

    /// Forgets the strings added after the first `count` (rows read from a file turned out bad).
    mutating func truncate(to count: Int) {
        guard count < dictionary.count else { return }
        dictionary = StringStorage(offsets: Array(dictionary.offsets.prefix(count + 1)),
                                   bytes: Array(dictionary.bytes.prefix(Int(dictionary.offsets[count]))))
        keys.removeLast(keys.count - count)
        rebuild(slotCount: slots.count)
    }

    private mutating func rebuild(slotCount: Int) {
        slots = [Int32](repeating: -1, count: slotCount)
        let mask = slotCount - 1
        for code in 0..<dictionary.count {
            dictionary.withUTF8(code) { entry in
                let key = keys[code]
                var slot = Int(truncatingIfNeeded: Self.hash(key.first, key.second, UnsafeRawBufferPointer(entry))) & mask
                while slots[slot] >= 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(code)
            }
        }
    }
}
