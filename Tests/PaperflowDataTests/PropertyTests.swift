import PaperflowData
import PropertyBased
import Testing

/// Properties checked on random inputs against naive reference implementations.
@Suite("Properties")
struct PropertyTests {
    /// Characters that stress CSV quoting: delimiters, quotes, line ends, spaces, NA letters,
    /// digits, a dot, and CJK.
    static let alphabet: [Character] = [",", "\"", "\n", "\r", " ", "N", "A", "a", "0", "1", "7", ".", "-", "e", "南", "京", "t", "r", "u"]
    static let cell = Gen<Character?>.element(of: alphabet).map { $0! }.string(of: 0...6)

    @Test("any strings survive Table → CSV → Table unchanged (quoting, NA look-alikes, numbers as text)")
    func csvQuoting() async {
        await propertyCheck(count: 300, input: Self.cell.array(of: 1...12), Self.cell.array(of: 1...12)) { first, second in
            let rows = min(first.count, second.count)
            let table = try! Table([("a", Column(string: Array(first.prefix(rows)))), ("b", Column(string: Array(second.prefix(rows))))])
            var options = CSVOptions()
            options.schema = ["a": .string, "b": .string]
            let csv = CSVWriter.write(table)
            let back = try? csv.withUnsafeBytes { try CSVReader.read(bytes: $0, file: "p.csv", options: options) }.0
            #expect(back?["a"]?.values == table["a"]!.values)
            #expect(back?["b"]?.values == table["b"]!.values)
        }
    }

    @Test("hash join equals a nested-loop join, inner and left")
    func join() async {
        let keys = Gen.int64(in: 0...4).array(of: 0...15)
        await propertyCheck(count: 300, input: keys, keys) { leftKeys, rightKeys in
            let left = try! Table([("k", Column(int64: leftKeys)), ("l", Column(int64: leftKeys.indices.map(Int64.init)))])
            let right = try! Table([("k", Column(int64: rightKeys)), ("r", Column(int64: rightKeys.indices.map(Int64.init)))])
            var expectedInner: [[Value]] = []
            var expectedLeft: [[Value]] = []
            for (i, lk) in leftKeys.enumerated() {
                let matches = rightKeys.indices.filter { rightKeys[$0] == lk }
                for j in matches { expectedInner.append([.int64(lk), .int64(Int64(i)), .int64(Int64(j))]) }
                expectedLeft += matches.isEmpty ? [[.int64(lk), .int64(Int64(i)), .missing]]
                    : matches.map { [.int64(lk), .int64(Int64(i)), .int64(Int64($0))] }
            }
            let inner = try! left.joined(with: right, on: ["k"])
            let outer = try! left.joined(with: right, on: ["k"], kind: .left)
            #expect((0..<inner.rowCount).map(inner.row) == expectedInner)
            #expect((0..<outer.rowCount).map(outer.row) == expectedLeft)
        }
    }

    @Test("group-by sum, count and mean equal a dictionary-based reference (small-range, wide-range, text and double keys)")
    func groupBy() async {
        let rows = zip(Gen.int64(in: 0...3), Gen.int64(in: -50...50)).array(of: 0...40)
        await propertyCheck(count: 300, input: rows) { pairs in
            var order: [Int64] = []
            var sums: [Int64: Int64] = [:], counts: [Int64: Int64] = [:]
            for (k, v) in pairs {
                if sums[k] == nil { order.append(k) }
                sums[k, default: 0] += v
                counts[k, default: 0] += 1
            }
            // The same groups whatever the key column's kind: offsets from the minimum, hashed
            // integers (a range too wide for offsets), text, doubles.
            let keyColumns: [(Column, (Int64) -> Value)] = [
                (Column(int64: pairs.map(\.0)), { .int64($0) }),
                (Column(int64: pairs.map { $0.0 * 1_000_000_000_000_000 }), { .int64($0 * 1_000_000_000_000_000) }),
                (Column(string: pairs.map { "k\($0.0)" }), { .string("k\($0)") }),
                (Column(double: pairs.map { Double($0.0) / 4 }), { .double(Double($0) / 4) }),
            ]
            for (keys, value) in keyColumns {
                let table = try! Table([("k", keys), ("v", Column(int64: pairs.map(\.1)))])
                let grouped = try! table.grouped(by: ["k"], [Aggregation("v", .sum), Aggregation("v", .count), Aggregation("v", .mean)])
                #expect(grouped["k"]!.values == order.map(value))
                #expect(grouped["v_sum"]!.values == order.map { .int64(sums[$0]!) })
                #expect(grouped["v_count"]!.values == order.map { .int64(counts[$0]!) })
                #expect(grouped["v_mean"]!.values == order.map { .double(Double(sums[$0]!) / Double(counts[$0]!)) })
            }
        }
    }
}

/// Level codes of text columns: the ASCII fast path (bytes hashed in place) against a sort of
/// the distinct strings, and the fallback for other text.
@Suite("Text levels")
struct TextLevelTests {
    @Test("ASCII codes: levels sorted by bytes, each row coded to its level, missing rows −1, past the table's first growth")
    func asciiLevels() async {
        let word = Gen<Character?>.element(of: ["0", "1", "7", "a", "B", "-", " "]).map { $0! }.string(of: 0...4)
        await propertyCheck(count: 100, input: word.array(of: 0...1500)) { words in
            let values = words.enumerated().map { $0.offset % 17 == 4 ? nil : $0.element }
            let column = Column(string: values)
            let (codes, levels) = column.levelCodes()
            let expected = Array(Set(values.compactMap { $0 })).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            #expect(levels == expected.map(Value.string))
            let index = Dictionary(uniqueKeysWithValues: expected.enumerated().map { ($1, Int32($0)) })
            #expect(codes == values.map { value in value.map { index[$0]! } ?? -1 })
        }
    }

    @Test("non-ASCII text takes the String path: é after z, a CJK city after both")
    func otherText() {
        let (codes, levels) = Column(string: ["é", "z", "南京", "e", "z"]).levelCodes()
        #expect(levels == [.string("e"), .string("z"), .string("é"), .string("南京")])
        #expect(codes == [2, 1, 3, 0, 1])
    }
}
