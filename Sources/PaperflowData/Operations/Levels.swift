extension Column {
    /// The column as numbers, for a model: integers and booleans converted, missing rows NaN;
    /// `nil` for text, which is not a number (enter it as a factor).
    public func numericValues() -> [Double]? {
        var values: [Double]
        switch storage {
        case let .double(buffer): values = Array(buffer)
        case let .int64(buffer): values = buffer.map { Double($0) }
        case let .bool(buffer): values = buffer.map { $0 ? 1 : 0 }
        case .string, .category: return nil
        }
        if let validity {
            for row in values.indices where !validity[row] { values[row] = .nan }
        }
        return values
    }

    /// Each row's level as a dense code into `levels`, the distinct present values in ascending
    /// order (numbers by value, text by its bytes), as R's `factor()` orders them; a missing row
    /// has code −1.
    public func levelCodes() -> (codes: [Int32], levels: [Value]) {
        let rows = count
        switch storage {
        case let .int64(buffer):
            if let low = buffer.min(), let high = buffer.max(), high &- low >= 0, high - low < Int64(max(4 * rows, 1 << 16)) {
                // A small range (years, chapters, ids): the offset from the minimum is a slot.
                var slot = [Int32](repeating: -1, count: Int(high - low) + 1)
                for row in 0..<rows where !isMissing(row) { slot[Int(buffer[row] - low)] = 0 }
                var levels: [Value] = []
                for index in slot.indices where slot[index] == 0 {
                    slot[index] = Int32(levels.count)
                    levels.append(.int64(low + Int64(index)))
                }
                return ((0..<rows).map { isMissing($0) ? -1 : slot[Int(buffer[$0] - low)] }, levels)
            }
            return sortedCodes(buffer.map { $0 }) { .int64($0) }
        case let .double(buffer):
            return sortedCodes(buffer.map { $0 }) { .double($0) }
        case let .bool(buffer):
            return sortedCodes(buffer.map { $0 ? 1 : 0 }) { .bool($0 == 1) }
        case let .string(storage):
            return asciiCodes(storage) ?? sortedCodes((0..<rows).map { storage[$0] }) { .string($0) }
        case let .category(codes, dictionary):
            // Sort the dictionary once, then renumber the codes.
            var used = [Bool](repeating: false, count: dictionary.count)
            for row in 0..<rows where !isMissing(row) { used[Int(codes[row])] = true }
            let order = (0..<dictionary.count).filter { used[$0] }.sorted { Array(dictionary[$0].utf8).lexicographicallyPrecedes(Array(dictionary[$1].utf8)) }
            var recode = [Int32](repeating: -1, count: dictionary.count)
            for (rank, code) in order.enumerated() { recode[code] = Int32(rank) }
            return ((0..<rows).map { isMissing($0) ? -1 : recode[Int(codes[$0])] }, order.map { .string(dictionary[$0]) })
        }
    }

    /// `levelCodes` of ASCII text (codes, ids, names in Latin letters) by hashing each row's
    /// bytes where they lie, with no String per row: a customs file has tens of millions of rows.
    /// nil when any byte is not ASCII, where Swift's String equality (canonical equivalence) and
    /// byte equality could differ.
    private func asciiCodes(_ storage: StringStorage) -> (codes: [Int32], levels: [Value])? {
        guard !storage.bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        return storage.bytes.withUnsafeBufferPointer { bytes in
            storage.offsets.withUnsafeBufferPointer { offsets in
                func text(_ row: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[Int(offsets[row])..<Int(offsets[row + 1])]) }
                func hash(_ text: UnsafeBufferPointer<UInt8>) -> Int {
                    var value: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
                    for byte in text { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
                    return Int(truncatingIfNeeded: value ^ (value >> 29))
                }
                // Open addressing, linear probing; a slot holds a level's code, −1 when empty.
                var slots = [Int32](repeating: -1, count: 1024), firstRow: [Int] = []
                var codes = [Int32](repeating: -1, count: count)
                for row in 0..<count where !isMissing(row) {
                    let key = text(row)
                    var slot = hash(key) & (slots.count - 1)
                    while slots[slot] >= 0, !text(firstRow[Int(slots[slot])]).elementsEqual(key) { slot = (slot + 1) & (slots.count - 1) }
                    if slots[slot] >= 0 { codes[row] = slots[slot]; continue }
                    codes[row] = Int32(firstRow.count)
                    slots[slot] = Int32(firstRow.count)
                    firstRow.append(row)
                    if 2 * firstRow.count > slots.count {
                        slots = [Int32](repeating: -1, count: 2 * slots.count)
                        for (code, first) in firstRow.enumerated() {
                            var slot = hash(text(first)) & (slots.count - 1)
                            while slots[slot] >= 0 { slot = (slot + 1) & (slots.count - 1) }
                            slots[slot] = Int32(code)
                        }
                    }
                }
                let order = firstRow.indices.sorted { text(firstRow[$0]).lexicographicallyPrecedes(text(firstRow[$1])) }
                Self.renumber(&codes, inOrder: order)
                return (codes, order.map { .string(storage[firstRow[$0]]) })
            }
        }
    }

    private func sortedCodes<Key: Hashable & Comparable>(_ keys: [Key], _ value: (Key) -> Value) -> (codes: [Int32], levels: [Value]) {
        var index: [Key: Int32] = [:]
        var firstSeen: [Key] = []
        var codes = [Int32](repeating: -1, count: keys.count)
        for row in keys.indices where !isMissing(row) {
            if let code = index[keys[row]] { codes[row] = code } else {
                let code = Int32(firstSeen.count)
                index[keys[row]] = code
                firstSeen.append(keys[row])
                codes[row] = code
            }
        }
        let sorted = firstSeen.indices.sorted { firstSeen[$0] < firstSeen[$1] }
        Self.renumber(&codes, inOrder: sorted)
        return (codes, sorted.map { value(firstSeen[$0]) })
    }

    /// Recodes first-seen codes to their rank in `order` (the codes sorted by their levels);
    /// missing rows (−1) stay missing.
    private static func renumber(_ codes: inout [Int32], inOrder order: [Int]) {
        var rank = [Int32](repeating: 0, count: order.count)
        for (position, code) in order.enumerated() { rank[code] = Int32(position) }
        for row in codes.indices where codes[row] >= 0 { codes[row] = rank[Int(codes[row])] }
    }
}
