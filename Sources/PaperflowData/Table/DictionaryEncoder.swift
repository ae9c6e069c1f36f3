/// Assigns each distinct string a code in order of first appearance: the dictionary of a
/// category column.
struct DictionaryEncoder {
    private var index: [String: Int32] = [:]
    /// The distinct strings, code `i` at position `i`.
    private(set) var dictionary = StringStorage()

    /// The code of `value`, adding it to the dictionary if new.
    mutating func code(for value: String) -> Int32 {
        if let code = index[value] { return code }
        let code = Int32(dictionary.count)
        index[value] = code
        dictionary.append(value)
        return code
    }
}
