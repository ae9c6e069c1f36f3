/// A typed column with missing values.
public struct Column: Sendable, Hashable {
    /// The values' buffers by type.
    public enum Storage: Sendable, Hashable {
        case int64(ColumnBuffer<Int64>)
        case double(ColumnBuffer<Double>)
        case bool(ColumnBuffer<Bool>)
        case string(StringStorage)
        /// Row `i` is `dictionary[codes[i]]`.
        case category(codes: ColumnBuffer<Int32>, dictionary: StringStorage)

        /// Storage holding these values.
        public static func int64(_ values: [Int64]) -> Storage { .int64(ColumnBuffer(values)) }
        public static func double(_ values: [Double]) -> Storage { .double(ColumnBuffer(values)) }
        public static func bool(_ values: [Bool]) -> Storage { .bool(ColumnBuffer(values)) }
        public static func category(codes: [Int32], dictionary: StringStorage) -> Storage {
            .category(codes: ColumnBuffer(codes), dictionary: dictionary)
        }
    }

    /// The values; a missing row holds a placeholder (0, "", false, code 0).
    public var storage: Storage
    /// Which rows are present; `nil` when none is missing.
    public var validity: Bitmap?

    /// Wraps storage and validity.
    public init(storage: Storage, validity: Bitmap? = nil) {
        self.storage = storage
        self.validity = validity.flatMap { $0.setCount == $0.count ? nil : $0 }
    }

    /// The column's type.
    public var type: DataType {
        switch storage {
        case .int64: return .int64
        case .double: return .double
        case .bool: return .bool
        case .string: return .string
        case .category: return .category
        }
    }

    /// Number of rows.
    public var count: Int {
        switch storage {
        case let .int64(v): return v.count
        case let .double(v): return v.count
        case let .bool(v): return v.count
        case let .string(v): return v.count
        case let .category(codes, _): return codes.count
        }
    }

    /// Whether row `row` is missing.
    @inline(__always)
    public func isMissing(_ row: Int) -> Bool { validity.map { !$0[row] } ?? false }

    /// Number of missing rows.
    public var missingCount: Int { validity.map { $0.count - $0.setCount } ?? 0 }

    /// Row `row` as a value.
    public subscript(row: Int) -> Value {
        if isMissing(row) { return .missing }
        switch storage {
        case let .int64(v): return .int64(v[row])
        case let .double(v): return .double(v[row])
        case let .bool(v): return .bool(v[row])
        case let .string(v): return .string(v[row])
        case let .category(codes, dictionary): return .string(dictionary[Int(codes[row])])
        }
    }

    // MARK: Building from Swift values

    /// An Int64 column; `nil` is missing.
    public init(int64 values: [Int64?]) {
        self.init(storage: .int64(values.map { $0 ?? 0 }), validity: Self.validity(values))
    }

    /// A Double column; `nil` is missing.
    public init(double values: [Double?]) {
        self.init(storage: .double(values.map { $0 ?? 0 }), validity: Self.validity(values))
    }

    /// A Double column of computed values where NaN means "no value" (a density of a product no
    /// unit has): NaN rows are missing, as `Column(double:)` of the optionals would make them,
    /// without a 16-byte optional per row.
    public init(double values: [Double], nanAsMissing: Bool) {
        guard nanAsMissing, values.contains(where: \.isNaN) else {
            self.init(storage: .double(values))
            return
        }
        var bitmap = Bitmap(count: 0, value: true)
        for value in values { bitmap.append(!value.isNaN) }
        self.init(storage: .double(values.map { $0.isNaN ? 0 : $0 }), validity: bitmap)
    }

    /// A Bool column; `nil` is missing.
    public init(bool values: [Bool?]) {
        self.init(storage: .bool(values.map { $0 ?? false }), validity: Self.validity(values))
    }

    /// A String column; `nil` is missing.
    public init(string values: [String?]) {
        self.init(storage: .string(StringStorage(values.map { $0 ?? "" })), validity: Self.validity(values))
    }

    /// A dictionary-encoded column; `nil` is missing. Codes follow first appearance.
    public init(category values: [String?]) {
        var encoder = DictionaryEncoder()
        let codes = values.map { $0.map { encoder.code(for: $0) } ?? 0 }
        self.init(storage: .category(codes: codes, dictionary: encoder.dictionary), validity: Self.validity(values))
    }

    private static func validity<T>(_ values: [T?]) -> Bitmap? {
        guard values.contains(where: { $0 == nil }) else { return nil }
        var bitmap = Bitmap(count: 0, value: true)
        for value in values { bitmap.append(value != nil) }
        return bitmap
    }
}
