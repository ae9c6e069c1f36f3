import Foundation

/// Values already read in this process, by what they were read from — so the stages of one run
/// that read the same input the same way (rca, proximity and density of one firm panel) read it
/// once, not once per stage. A caller that wants a value another is reading waits for it. The
/// most recent few are kept, within a budget of bytes; a failed read is not kept (the next
/// caller reads again and reports the same error).
final class ReadMemo<Key: Hashable, Value>: @unchecked Sendable {
    let budget: Double, capacity: Int
    private let size: (Value) -> Double
    /// Reads done (values not found here) so far.
    private(set) var reads = 0

    private let condition = NSCondition()
    private var reading: Set<Key> = []
    /// Least recently used first.
    private var entries: [(key: Key, value: Value, bytes: Double)] = []

    /// - Parameters:
    ///   - budget: the bytes the kept values may hold together (by `size`).
    ///   - capacity: the most values kept.
    init(budget: Double, capacity: Int, size: @escaping (Value) -> Double) {
        self.budget = budget
        self.capacity = capacity
        self.size = size
    }

    /// The value read from `key`: the kept one, or `read()`'s (kept when it fits).
    func value(_ key: Key, read: () throws -> Value) throws -> Value {
        condition.lock()
        while reading.contains(key) { condition.wait() }
        if let index = entries.firstIndex(where: { $0.key == key }) {
            let entry = entries.remove(at: index)
            entries.append(entry)
            condition.unlock()
            return entry.value
        }
        reading.insert(key)
        reads += 1
        condition.unlock()
        let result = Result { try read() }
        condition.lock()
        reading.remove(key)
        if case let .success(value) = result, size(value) <= budget {
            entries.append((key, value, size(value)))
            while entries.count > capacity || entries.reduce(0, { $0 + $1.bytes }) > budget { entries.removeFirst() }
        }
        condition.broadcast()
        condition.unlock()
        return try result.get()
    }

    /// The keys kept, least recently used first.
    var keys: [Key] {
        condition.lock()
        defer { condition.unlock() }
        return entries.map(\.key)
    }
}
