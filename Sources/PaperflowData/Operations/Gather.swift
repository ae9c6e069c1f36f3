extension Column {
    /// The rows at `rows`, in that order (rows may repeat). `nil` gives a missing row (left joins).
    /// - Complexity: O(rows.count), plus the bytes of string rows.
    public func take(_ rows: [Int?]) -> Column {
        var validity: Bitmap?
        if self.validity != nil || rows.contains(where: { $0 == nil }) {
            var bitmap = Bitmap(count: 0, value: true)
            for row in rows { bitmap.append(row.map { !isMissing($0) } ?? false) }
            validity = bitmap
        }
        switch storage {
        case let .int64(values): return Column(storage: .int64(rows.map { $0.map { values[$0] } ?? 0 }), validity: validity)
        case let .double(values): return Column(storage: .double(rows.map { $0.map { values[$0] } ?? 0 }), validity: validity)
        case let .bool(values): return Column(storage: .bool(rows.map { $0.map { values[$0] } ?? false }), validity: validity)
        case let .string(strings):
            var out = StringStorage()
            out.reserve(strings: rows.count, bytes: strings.bytes.count * rows.count / max(strings.count, 1))
            for row in rows {
                if let row {
                    strings.withUTF8(row) { out.append(utf8: UnsafeRawBufferPointer($0)) }
                } else {
                    out.append("")
                }
            }
            return Column(storage: .string(out), validity: validity)
        case let .category(codes, dictionary):
            return Column(storage: .category(codes: rows.map { $0.map { codes[$0] } ?? 0 }, dictionary: dictionary), validity: validity)
        }
    }

    /// The rows at `rows`.
    public func take(_ rows: [Int]) -> Column {
        // Without missing rows, numbers and codes are gathered straight (a firm panel's
        // output has tens of millions of rows); anything else goes through the general path.
        guard validity == nil else { return take(rows.map(Optional.some)) }
        switch storage {
        case let .int64(values): return Column(storage: .int64(rows.map { values[$0] }))
        case let .double(values): return Column(storage: .double(rows.map { values[$0] }))
        case let .bool(values): return Column(storage: .bool(rows.map { values[$0] }))
        case let .category(codes, dictionary): return Column(storage: .category(codes: rows.map { codes[$0] }, dictionary: dictionary))
        case .string: return take(rows.map(Optional.some))
        }
    }

    /// A column of `type` from values (`.missing` for missing rows).
    /// - Throws: `TableError.typeMismatch` when a value does not have the type.
    public init(values: [Value], type: DataType) throws {
        switch type {
        case .int64:
            self.init(int64: try values.map { value -> Int64? in
                switch value {
                case .missing: return nil
                case let .int64(i): return i
                default: throw TableError.typeMismatch(value.description, type)
                }
            })
        case .double:
            self.init(double: try values.map { value -> Double? in
                switch value {
                case .missing: return nil
                case let .double(d): return d
                case let .int64(i): return Double(i)
                default: throw TableError.typeMismatch(value.description, type)
                }
            })
        case .bool:
            self.init(bool: try values.map { value -> Bool? in
                switch value {
                case .missing: return nil
                case let .bool(b): return b
                default: throw TableError.typeMismatch(value.description, type)
                }
            })
        case .string, .category:
            let strings = try values.map { value -> String? in
                switch value {
                case .missing: return nil
                case let .string(s): return s
                default: throw TableError.typeMismatch(value.description, type)
                }
            }
            if type == .string { self.init(string: strings) } else { self.init(category: strings) }
        }
    }

    /// Every row as a value.
    public var values: [Value] { (0..<count).map { self[$0] } }
}

extension Table {
    /// The rows at `rows`, in that order.
    public func take(_ rows: [Int]) -> Table {
        // Columns keep their lengths equal, so this cannot fail.
        try! Table(zip(names, columns.map { $0.take(rows) }).map { ($0, $1) })
    }

    /// Row `row` as values, in column order.
    public func row(_ row: Int) -> [Value] { columns.map { $0[row] } }
}
