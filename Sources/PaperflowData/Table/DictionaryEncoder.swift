/// Assigns each distinct string a code in order of first appearance: the dictionary of a
/// category column, and the key codes of a group-by on a string column.
///
/// An open-addressing table over UTF-8 byte slices (FNV-1a hashes, linear probing), so encoding
/// a field read from a file never makes a `String`.
struct DictionaryEncoder {
    /// The distinct strings, code `i` at position `i`.
    private(set) var dictionary = StringStorage()
    private var slots = [Int32](repeating: -1, count: 64)
    private var hashes: [UInt64] = []

    /// The code of `value`, adding it to the dictionary if new.
    mutating func code(for value: String) -> Int32 {
        var copy = value
        return copy.withUTF8 { code(forUTF8: UnsafeRawBufferPointer($0)) }
    }

    /// The code of the string with these UTF-8 bytes, adding it if new.
    mutating func code(forUTF8 bytes: UnsafeRawBufferPointer) -> Int32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while true {
            let code = slots[slot]
            if code < 0 { break }
            if hashes[Int(code)] == hash, dictionary.withUTF8(Int(code), { $0.elementsEqual(bytes) }) { return code }
            slot = (slot + 1) & mask
        }
        let code = Int32(dictionary.count)
        dictionary.append(utf8: bytes)
        hashes.append(hash)
        slots[slot] = code
        if hashes.count * 2 > slots.count { grow() }
        return code
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (code, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(code)
        }
    }
}
