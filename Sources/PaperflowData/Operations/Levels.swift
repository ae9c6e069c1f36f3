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
            return sortedCodes((0..<rows).map { storage[$0] }) { .string($0) }
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
        var rank = [Int32](repeating: 0, count: sorted.count)
        for (position, code) in sorted.enumerated() { rank[code] = Int32(position) }
        for row in codes.indices where codes[row] >= 0 { codes[row] = rank[Int(codes[row])] }
        return (codes, sorted.map { value(firstSeen[$0]) })
    }
}
