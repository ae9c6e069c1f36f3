/// Which row groups a filter can rule out from their min/max statistics alone: the filter's
/// top-level `&` terms of the form `column op constant` (or `constant op column`) on a number or
/// text column are checked against the row group's range; anything else keeps the row group (the
/// rows are filtered after reading either way, so skipping is only ever an optimisation).
enum ParquetPushdown {
    enum Bound: Comparable {
        case number(Double)
        case text([UInt8])

        static func < (lhs: Bound, rhs: Bound) -> Bool {
            switch (lhs, rhs) {
            case let (.number(a), .number(b)): return a < b
            case let (.text(a), .text(b)): return a.lexicographicallyPrecedes(b)
            default: return false
            }
        }
    }

    /// Whether rows of `group` may satisfy `filter`.
    static func mayMatch(_ filter: Expression, metadata: ParquetMetadata, group: Int) -> Bool {
        terms(filter.root).allSatisfy { term in
            guard case let .binary(op, left, right, _) = term else { return true }
            let (name, constant, flipped): (String, Expression.Node, Bool)
            switch (left, right) {
            case let (.column(column, _), value): (name, constant, flipped) = (column, value, false)
            case let (value, .column(column, _)): (name, constant, flipped) = (column, value, true)
            default: return true
            }
            guard let index = metadata.columns.firstIndex(where: { $0.name == name }),
                  let range = range(metadata.columns[index], metadata.rowGroups[group].columns[index]) else { return true }
            let value: Bound
            switch constant {
            case let .number(number): value = .number(number)
            case let .text(text): value = .text(Array(text.utf8))
            default: return true
            }
            guard comparable(value, range.min) else { return true }
            let operation = flipped ? mirrored(op) : op
            switch operation {
            case "==": return range.min <= value && value <= range.max
            case "<": return range.min < value
            case "<=": return range.min <= value
            case ">": return range.max > value
            case ">=": return range.max >= value
            default: return true
            }
        }
    }

    static func terms(_ node: Expression.Node) -> [Expression.Node] {
        if case let .binary(op, left, right, _) = node, op == "&" || op == "&&" || op == "and" {
            return terms(left) + terms(right)
        }
        return [node]
    }

    static func mirrored(_ op: String) -> String {
        ["<": ">", ">": "<", "<=": ">=", ">=": "<="][op] ?? op
    }

    static func comparable(_ a: Bound, _ b: Bound) -> Bool {
        switch (a, b) {
        case (.number, .number), (.text, .text): return true
        default: return false
        }
    }

    /// The chunk's value range, where its statistics give one in the column's own terms (numbers
    /// as stored, text as UTF-8 bytes); nil where they do not (dates shown as text, decimals,
    /// unsigned integers, missing statistics).
    static func range(_ leaf: ParquetMetadata.LeafColumn, _ chunk: ParquetMetadata.ColumnChunk) -> (min: Bound, max: Bound)? {
        guard let statistics = chunk.statistics, let min = statistics.min, let max = statistics.max else { return nil }
        func number(_ bytes: [UInt8]) -> Double? {
            var bits: UInt64 = 0
            for (index, byte) in bytes.prefix(8).enumerated() { bits |= UInt64(byte) << (8 * index) }
            switch (leaf.physical, leaf.meaning, bytes.count) {
            case (.int32, .plain, 4), (.int32, .integer(_, true), 4): return Double(Int32(truncatingIfNeeded: bits))
            case (.int64, .plain, 8), (.int64, .integer(_, true), 8): return Double(Int64(bitPattern: bits))
            case (.float, .plain, 4): return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
            case (.double, .plain, 8): return Double(bitPattern: bits)
            default: return nil
            }
        }
        if leaf.physical == .byteArray, leaf.meaning == .string {
            return statistics.legacy ? nil : (.text(min), .text(max))
        }
        guard let low = number(min), let high = number(max), !low.isNaN, !high.isNaN else { return nil }
        return (.number(low), .number(high))
    }
}
