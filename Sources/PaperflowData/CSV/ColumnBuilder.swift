/// Accumulates one column's values while a file is read.
struct ColumnBuilder {
    let type: DataType
    /// Declared in the schema (lenient: "0042" is 42) rather than inferred (strict: "0042" is a
    /// code, which widens the column to text).
    let declared: Bool
    var ints: [Int64] = []
    var doubles: [Double] = []
    var bools: [Bool] = []
    var strings = StringStorage()
    var codes: [Int32] = []
    var categories = DictionaryEncoder()
    var validity = Bitmap(count: 0, value: true)
    var anyMissing = false

    init(type: DataType, declared: Bool) {
        self.type = type
        self.declared = declared
    }

    mutating func reserve(_ rows: Int) {
        switch type {
        case .int64: ints.reserveCapacity(rows)
        case .double: doubles.reserveCapacity(rows)
        case .bool: bools.reserveCapacity(rows)
        case .string: strings.reserve(strings: rows, bytes: rows * 8)
        case .category: codes.reserveCapacity(rows)
        }
    }

    /// Whether `field` converts to this column's type. Inferred numeric columns take no quoted
    /// field and no leading zero (both mean text); declared ones convert whatever parses.
    /// (Static, so that checking a field never copies a builder out of its array.)
    static func accepts(_ field: UnsafeRawBufferPointer, quoted: Bool, type: DataType, declared: Bool) -> Bool {
        if !declared, quoted, type != .string, type != .category { return false }
        switch type {
        case .int64: return FieldParsing.int64(field, allowLeadingZeros: declared) != nil
        case .double: return FieldParsing.double(field) != nil && (declared || !CSVReader.Context.hasLeadingZero(field))
        case .bool: return FieldParsing.bool(field) != nil
        case .string, .category: return true
        }
    }

    /// The narrowest inferred type that holds `field` as well as what came before.
    static func wider(_ field: UnsafeRawBufferPointer, quoted: Bool, type: DataType) -> DataType {
        if type == .int64, !quoted, FieldParsing.double(field) != nil, !CSVReader.Context.hasLeadingZero(field) { return .double }
        return .string
    }

    mutating func append(_ field: UnsafeRawBufferPointer) {
        validity.append(true)
        switch type {
        case .int64: ints.append(FieldParsing.int64(field, allowLeadingZeros: true)!)
        case .double: doubles.append(FieldParsing.double(field)!)
        case .bool: bools.append(FieldParsing.bool(field)!)
        case .string: strings.append(utf8: field)
        case .category: codes.append(categories.code(forUTF8: field))
        }
    }

    /// Appends an unescaped string (quoted fields holding doubled quotes).
    mutating func append(string: String) {
        validity.append(true)
        switch type {
        case .string: strings.append(string)
        case .category: appendCategory(string)
        default:
            var copy = string
            copy.withUTF8 { buffer in
                let raw = UnsafeRawBufferPointer(buffer)
                switch type {
                case .int64: ints.append(FieldParsing.int64(raw, allowLeadingZeros: true)!)
                case .double: doubles.append(FieldParsing.double(raw)!)
                default: bools.append(FieldParsing.bool(raw)!)
                }
            }
        }
    }

    mutating func appendMissing() {
        anyMissing = true
        validity.append(false)
        switch type {
        case .int64: ints.append(0)
        case .double: doubles.append(0)
        case .bool: bools.append(false)
        case .string: strings.append("")
        case .category: codes.append(0)
        }
    }

    private mutating func appendCategory(_ value: String) {
        codes.append(categories.code(for: value))
    }

    func build() -> Column {
        let storage: Column.Storage
        switch type {
        case .int64: storage = .int64(ints)
        case .double: storage = .double(doubles)
        case .bool: storage = .bool(bools)
        case .string: storage = .string(strings)
        case .category: storage = .category(codes: codes, dictionary: categories.dictionary)
        }
        return Column(storage: storage, validity: anyMissing ? validity : nil)
    }
}
