/// The parts of a Parquet footer (parquet-format's `parquet.thrift`) that reading a flat table
/// needs: the schema's leaf columns with their physical and logical types, and each row group's
/// column chunks with codec, page offsets and min/max statistics.
struct ParquetMetadata: Sendable {
    enum PhysicalType: Int, Sendable {
        case boolean = 0, int32, int64, int96, float, double, byteArray, fixedLengthByteArray
    }

    /// What the stored values mean, from the logical type (or the older converted type).
    enum Meaning: Sendable, Hashable {
        case plain
        case string
        case integer(bits: Int, signed: Bool)
        case date
        case timestamp(unitsPerSecond: Int64, utc: Bool)
        case time(unitsPerSecond: Int64)
        case decimal(scale: Int, precision: Int)
        case other(String)
    }

    struct LeafColumn: Sendable {
        var name: String
        var physical: PhysicalType
        var typeLength: Int
        var optional: Bool
        var meaning: Meaning
    }

    struct Statistics: Sendable {
        var min: [UInt8]?
        var max: [UInt8]?
        var nullCount: Int?
        /// Whether min and max come from the deprecated fields, whose order for text is undefined.
        var legacy: Bool
    }

    struct ColumnChunk: Sendable {
        var codec: Int
        var valueCount: Int
        var firstPageOffset: Int
        var compressedSize: Int
        var statistics: Statistics?
    }

    struct RowGroup: Sendable {
        var rows: Int
        var columns: [ColumnChunk]
    }

    var rows: Int
    var columns: [LeafColumn]
    var rowGroups: [RowGroup]
    var createdBy: String
    /// Key-value metadata (pandas and Arrow schemas).
    var keyValues: [String: String]

    struct Failure: Error { var message: String }

    /// Decodes the footer's FileMetaData struct.
    init(_ file: ThriftStruct) throws(Failure) {
        rows = file.int(3) ?? 0
        createdBy = file.string(6) ?? ""
        keyValues = [:]
        for entry in file.list(5) {
            if let pair = entry.structure, let key = pair.string(1) { keyValues[key] = pair.string(2) ?? "" }
        }
        let schema = file.list(2).compactMap(\.structure)
        guard let root = schema.first else { throw Failure(message: "its footer has no schema") }
        let childCount = root.int(5) ?? 0
        guard childCount >= 0, childCount < schema.count else { throw Failure(message: "its schema declares \(childCount) columns but lists \(schema.count - 1)") }
        var columns: [LeafColumn] = []
        var index = 1
        for _ in 0..<childCount {
            guard index < schema.count else { throw Failure(message: "its schema lists fewer columns than its root declares") }
            let element = schema[index]
            let name = element.string(4) ?? "column\(index)"
            if let children = element.int(5), children > 0 {
                let kind = element.structure(10).flatMap { $0.fields.keys.min() }.map { $0 == 3 ? "a list" : $0 == 2 ? "a map" : "a group" } ?? "a group"
                throw Failure(message: "column '\(name)' is \(kind) (a nested type); only flat columns can be read — flatten it before writing (pandas: explode or json-encode it)")
            }
            guard element.int(3) != 2 else {
                throw Failure(message: "column '\(name)' is repeated (a nested type); only flat columns can be read")
            }
            guard let code = element.int(1), let physical = PhysicalType(rawValue: code) else {
                throw Failure(message: "column '\(name)' has no physical type this reader knows")
            }
            let typeLength = element.int(2) ?? 0
            guard physical != .fixedLengthByteArray || (0...(1 << 20)).contains(typeLength) else {
                throw Failure(message: "column '\(name)' declares fixed-length values of \(typeLength) bytes")
            }
            columns.append(LeafColumn(name: name, physical: physical, typeLength: typeLength,
                                      optional: element.int(3) == 1, meaning: Self.meaning(element)))
            index += 1
        }
        self.columns = columns
        rowGroups = try file.list(4).compactMap(\.structure).map { group throws(Failure) -> RowGroup in
            let chunks = try group.list(1).compactMap(\.structure).map { chunk throws(Failure) -> ColumnChunk in
                guard chunk.string(1) == nil else { throw Failure(message: "a column chunk lives in another file (\(chunk.string(1)!)); read that file") }
                guard let meta = chunk.structure(3) else { throw Failure(message: "a column chunk has no metadata") }
                let dataOffset = meta.int(9) ?? 0
                let dictionaryOffset = meta.int(11).flatMap { $0 > 0 ? $0 : nil }
                let stats = meta.structure(12).map { stats in
                    Statistics(min: stats[6]?.binary ?? stats[2]?.binary, max: stats[5]?.binary ?? stats[1]?.binary,
                               nullCount: stats.int(3), legacy: stats[6] == nil || stats[5] == nil)
                }
                return ColumnChunk(codec: meta.int(4) ?? 0, valueCount: meta.int(5) ?? 0,
                                   firstPageOffset: min(dictionaryOffset ?? dataOffset, dataOffset),
                                   compressedSize: meta.int(7) ?? 0, statistics: stats)
            }
            guard chunks.count == columns.count else {
                throw Failure(message: "a row group has \(chunks.count) column chunks for \(columns.count) columns")
            }
            let rows = group.int(3) ?? 0
            for (chunk, column) in zip(chunks, columns) where chunk.valueCount != rows {
                throw Failure(message: "column '\(column.name)' holds \(chunk.valueCount) values in a row group of \(rows) rows (a damaged footer?)")
            }
            return RowGroup(rows: rows, columns: chunks)
        }
        // Each row group's rows must add up to the file's, and no count may be negative.
        var total = 0
        for group in rowGroups {
            guard group.rows >= 0, total <= rows else { throw Failure(message: "its row groups' row counts are damaged") }
            total += group.rows
        }
        guard total == rows else { throw Failure(message: "its row groups hold \(total) rows where its footer says \(rows) (a damaged footer?)") }
    }

    static func meaning(_ element: ThriftStruct) -> Meaning {
        if let logical = element.structure(10), let (kind, value) = logical.fields.min(by: { $0.key < $1.key }) {
            let detail = value.structure ?? ThriftStruct()
            func unitsPerSecond(_ unit: ThriftStruct?) -> Int64 {
                switch unit?.fields.keys.min() { case 1: return 1000; case 2: return 1_000_000; default: return 1_000_000_000 }
            }
            switch kind {
            case 1, 4, 12: return .string
            case 5: return .decimal(scale: detail.int(1) ?? 0, precision: detail.int(2) ?? 0)
            case 6: return .date
            case 7: return .time(unitsPerSecond: unitsPerSecond(detail.structure(2)))
            case 8: return .timestamp(unitsPerSecond: unitsPerSecond(detail.structure(2)), utc: detail[1]?.bool ?? false)
            case 10: return .integer(bits: detail.int(1) ?? 64, signed: detail[2]?.bool ?? true)
            case 11: return .plain
            case 14: return .other("UUID")
            case 15: return .other("FLOAT16")
            default: return .other("logical type \(kind)")
            }
        }
        switch element.int(6) {
        case 0?, 4?, 19?: return .string
        case 5?: return .decimal(scale: element.int(7) ?? 0, precision: element.int(8) ?? 0)
        case 6?: return .date
        case 7?: return .time(unitsPerSecond: 1000)
        case 8?: return .time(unitsPerSecond: 1_000_000)
        case 9?: return .timestamp(unitsPerSecond: 1000, utc: true)
        case 10?: return .timestamp(unitsPerSecond: 1_000_000, utc: true)
        case let code? where (11...18).contains(code):
            return .integer(bits: [8, 16, 32, 64][(code - 11) % 4], signed: code >= 15)
        case 21?: return .other("INTERVAL")
        default: return .plain
        }
    }
}

/// A page header (`PageHeader` in parquet.thrift).
struct ParquetPageHeader: Sendable {
    enum Kind: Int { case data = 0, index = 1, dictionary = 2, dataV2 = 3 }

    var kind: Kind?
    var uncompressedSize: Int
    var compressedSize: Int
    var valueCount: Int
    var encoding: Int
    /// Data page v2: the levels' byte lengths (stored uncompressed before the values), nulls,
    /// and whether the values are compressed.
    var definitionLevelsLength = 0
    var repetitionLevelsLength = 0
    var isCompressed = true

    init(_ header: ThriftStruct) {
        kind = header.int(1).flatMap(Kind.init(rawValue:))
        uncompressedSize = header.int(2) ?? -1
        compressedSize = header.int(3) ?? -1
        valueCount = 0
        encoding = 0
        switch kind {
        case .data?:
            let data = header.structure(5) ?? ThriftStruct()
            valueCount = data.int(1) ?? 0
            encoding = data.int(2) ?? 0
        case .dictionary?:
            let dictionary = header.structure(7) ?? ThriftStruct()
            valueCount = dictionary.int(1) ?? 0
            encoding = dictionary.int(2) ?? 0
        case .dataV2?:
            let data = header.structure(8) ?? ThriftStruct()
            valueCount = data.int(1) ?? 0
            encoding = data.int(4) ?? 0
            definitionLevelsLength = data.int(5) ?? 0
            repetitionLevelsLength = data.int(6) ?? 0
            isCompressed = data[7]?.bool ?? true
        default:
            break
        }
    }
}
