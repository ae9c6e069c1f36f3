import Foundation

/// Turns one column's decoded chunks (one per row group read) into a table column: values typed by
/// the column's physical and logical type, missing rows where the definition levels say so.
///
/// int32/int64 (and unsigned up to 64 bits; beyond Int64 the column becomes double) → int64;
/// float/double and DECIMAL → double (NaN missing, counted); boolean → bool; DATE, TIME,
/// TIMESTAMP and INT96 → ISO 8601 text (or the stored number); strings → text, or a category
/// where the writer dictionary-encoded every page; UUID → its canonical text; FLOAT16 → double.
struct ParquetColumnAssembly {
    let leaf: ParquetMetadata.LeafColumn
    let chunks: [ParquetChunkDecoder.Decoded]
    let options: ParquetOptions
    let path: String

    var rows: Int { chunks.reduce(0) { $0 + $1.rows } }

    func failure(_ message: String) -> ParquetError { ParquetError(path: path, message: "column '\(leaf.name)': \(message)") }

    /// The column, from `filled` where the reader already wrote the values in place.
    func column(filled: Column.Storage? = nil) throws -> (Column, ParquetReport.ColumnReport) {
        var validity: Bitmap?
        if chunks.contains(where: { $0.present != nil }) {
            var bitmap = Bitmap(count: 0, value: true)
            for chunk in chunks {
                if let present = chunk.present {
                    for flag in present { bitmap.append(flag != 0) }
                } else {
                    for _ in 0..<chunk.rows { bitmap.append(true) }
                }
            }
            validity = bitmap
        }
        var nanCount: Int?
        var note: String?
        var storage: Column.Storage
        switch (leaf.physical, leaf.meaning) {
        case _ where filled != nil:
            storage = filled!
            if case let .double(values) = storage, values.contains(where: \.isNaN) {
                var array = Array(values)
                (array, validity, nanCount) = nanAsMissing(array, validity)
                storage = .double(ColumnBuffer(array))
            }
        case (.boolean, _):
            storage = .bool(buffer(false) { (value: UInt8) in value != 0 })
        case (.int32, .date):
            let days = scatter(0) { (value: Int32) in Int64(value) }
            storage = options.datesAsText ? text(days, validity) { CivilCalendar.isoDate($0) } : .int64(ColumnBuffer(days))
        case let (.int32, .time(unitsPerSecond)), let (.int64, .time(unitsPerSecond)):
            let units = leaf.physical == .int32 ? scatter(0) { (value: Int32) in Int64(value) } : scatter(0) { (value: Int64) in value }
            storage = options.datesAsText ? text(units, validity) { CivilCalendar.isoTime($0, unitsPerSecond: unitsPerSecond) } : .int64(ColumnBuffer(units))
        case let (.int64, .timestamp(unitsPerSecond, utc)):
            let units = scatter(0) { (value: Int64) in value }
            storage = options.datesAsText
                ? text(units, validity) { CivilCalendar.isoTimestamp($0, unitsPerSecond: unitsPerSecond) + (utc ? "Z" : "") } : .int64(ColumnBuffer(units))
        case (.int96, _):
            let nanoseconds = int96Nanoseconds()
            storage = options.datesAsText
                ? text(nanoseconds, validity) { CivilCalendar.isoTimestamp($0, unitsPerSecond: 1_000_000_000) } : .int64(ColumnBuffer(nanoseconds))
            note = "INT96 timestamps (legacy Impala/Spark) read as nanoseconds from 1970"
        case let (_, .decimal(scale, precision)):
            storage = .double(ColumnBuffer(try decimals(scale: scale)))
            if precision > 15 { note = "DECIMAL(\(precision), \(scale)) read as double: beyond 15 digits values are rounded" }
        case let (.int32, meaning):
            let unsigned = { if case .integer(_, false) = meaning { return true } else { return false } }()
            storage = .int64(buffer(0) { (value: Int32) in unsigned ? Int64(UInt32(bitPattern: value)) : Int64(value) })
        case let (.int64, meaning):
            if case .integer(_, false) = meaning, anyNegative() {
                storage = .double(buffer(0) { (value: Int64) in Double(UInt64(bitPattern: value)) })
                note = "UINT64 values beyond 9223372036854775807 made the column double"
            } else {
                storage = .int64(buffer(0) { (value: Int64) in value })
            }
        case (.float, _), (.double, _):
            let values = leaf.physical == .float ? buffer(0) { (value: Float) in Double(value) } : buffer(0) { (value: Double) in value }
            if values.contains(where: \.isNaN) {
                var array = Array(values)
                (array, validity, nanCount) = nanAsMissing(array, validity)
                storage = .double(ColumnBuffer(array))
            } else {
                storage = .double(values)
            }
        case (.fixedLengthByteArray, .other("FLOAT16")):
            var values: [Double] = try byteValues { bytes in
                let bits = UInt16(bytes[bytes.startIndex]) | UInt16(bytes[bytes.startIndex + 1]) << 8
                return Self.half(bits)
            }
            (values, validity, nanCount) = nanAsMissing(values, validity)
            storage = .double(ColumnBuffer(values))
        case (.fixedLengthByteArray, .other("UUID")):
            storage = .string(StringStorage(try byteValues { bytes -> String in
                let hex = bytes.map { String(format: "%02x", $0) }
                return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
            }))
        case let (_, .other(kind)):
            throw failure("is of type \(kind), which io.parquet does not read; cast it to text or a number before writing")
        case (.byteArray, _), (.fixedLengthByteArray, _):
            storage = try textStorage()
        }
        let column = Column(storage: storage, validity: validity)
        let encodings = Set(chunks.flatMap(\.encodings)).sorted()
        let report = ParquetReport.ColumnReport(
            name: leaf.name, physicalType: "\(leaf.physical)", logicalType: Self.describe(leaf.meaning), type: column.type.rawValue,
            encodings: encodings, missing: column.missingCount - (nanCount ?? 0), nanAsMissing: nanCount, note: note)
        return (column, report)
    }

    static func describe(_ meaning: ParquetMetadata.Meaning) -> String {
        switch meaning {
        case .plain: return "none"
        case .string: return "STRING"
        case let .integer(bits, signed): return "\(signed ? "INT" : "UINT")\(bits)"
        case .date: return "DATE"
        case let .timestamp(units, utc): return "TIMESTAMP(\(units == 1000 ? "MILLIS" : units == 1_000_000 ? "MICROS" : "NANOS")\(utc ? ", UTC" : ""))"
        case let .time(units): return "TIME(\(units == 1000 ? "MILLIS" : units == 1_000_000 ? "MICROS" : "NANOS"))"
        case let .decimal(scale, precision): return "DECIMAL(\(precision), \(scale))"
        case let .other(kind): return kind
        }
    }

    // MARK: Fixed-width values

    /// One value per row, written straight into the column's buffer: `convert` of the stored
    /// value where present, `placeholder` where missing (the decoder checked that each chunk holds
    /// exactly one value per present row).
    func buffer<Stored: BitwiseCopyable, Result: BitwiseCopyable>(_ placeholder: Result, _ convert: (Stored) -> Result) -> ColumnBuffer<Result> {
        ColumnBuffer(unsafeUninitializedCapacity: rows) { out, count in
            var row = 0
            for chunk in chunks {
                guard case let .fixed(bytes, width) = chunk.values, width == MemoryLayout<Stored>.size else {
                    for _ in 0..<chunk.rows { out[row] = placeholder; row += 1 }
                    continue
                }
                bytes.withUnsafeBytes { raw in
                    if let present = chunk.present {
                        var next = 0
                        for flag in present {
                            if flag != 0 {
                                out[row] = convert(raw.loadUnaligned(fromByteOffset: next * width, as: Stored.self))
                                next += 1
                            } else {
                                out[row] = placeholder
                            }
                            row += 1
                        }
                    } else {
                        for index in 0..<chunk.rows {
                            out[row] = convert(raw.loadUnaligned(fromByteOffset: index * width, as: Stored.self))
                            row += 1
                        }
                    }
                }
            }
            count = row
        }
    }

    /// The same values as an array, for conversions to text.
    func scatter<Stored: BitwiseCopyable, Result: BitwiseCopyable>(_ placeholder: Result, _ convert: (Stored) -> Result) -> [Result] {
        Array(buffer(placeholder, convert))
    }

    func anyNegative() -> Bool {
        chunks.contains { chunk in
            guard case let .fixed(bytes, 8) = chunk.values else { return false }
            return bytes.withUnsafeBytes { raw in (0..<(raw.count / 8)).contains { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) < 0 } }
        }
    }

    func int96Nanoseconds() -> [Int64] {
        var result: [Int64] = []
        result.reserveCapacity(rows)
        for chunk in chunks {
            guard case let .fixed(bytes, _) = chunk.values else { continue }
            var next = 0
            for row in 0..<chunk.rows {
                guard chunk.present.map({ $0[row] != 0 }) ?? true, (next + 1) * 12 <= bytes.count else { result.append(0); continue }
                let base = next * 12
                var nanoseconds: Int64 = 0, day: Int64 = 0
                for index in 0..<8 { nanoseconds |= Int64(bytes[base + index]) << (8 * index) }
                for index in 0..<4 { day |= Int64(bytes[base + 8 + index]) << (8 * index) }
                result.append((day - 2_440_588) &* 86_400_000_000_000 &+ nanoseconds)
                next += 1
            }
        }
        return result
    }

    func nanAsMissing(_ values: [Double], _ validity: Bitmap?) -> ([Double], Bitmap?, Int?) {
        guard values.contains(where: \.isNaN) else { return (values, validity, nil) }
        var bitmap = Bitmap(count: 0, value: true)
        var count = 0
        for (row, value) in values.enumerated() {
            let present = validity.map { $0[row] } ?? true
            if present, value.isNaN { count += 1 }
            bitmap.append(present && !value.isNaN)
        }
        return (values.map { $0.isNaN ? 0 : $0 }, bitmap, count)
    }

    static func half(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int(bits >> 10 & 0x1F), fraction = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    // MARK: Byte arrays

    /// Every row's bytes converted, `nil`-free (missing rows get `convert` of nothing: placeholder).
    func byteValues<Result>(_ convert: (ArraySlice<UInt8>) throws -> Result) throws -> [Result] where Result: DefaultPlaceholder {
        var result: [Result] = []
        result.reserveCapacity(rows)
        for chunk in chunks {
            var next = 0
            for row in 0..<chunk.rows {
                guard chunk.present.map({ $0[row] != 0 }) ?? true else { result.append(.placeholder); continue }
                let bytes: ArraySlice<UInt8>
                switch chunk.values {
                case let .byteArrays(arrays): bytes = arrays.value(next)
                case let .dictionary(codes, entries): bytes = entries.value(Int(codes[next]))
                case .fixed, .sunk: bytes = []
                }
                result.append(try convert(bytes))
                next += 1
            }
        }
        return result
    }

    /// DECIMAL values: the unscaled integer (int32, int64, or big-endian two's complement bytes)
    /// over 10^scale, rounded once (parsed from its decimal text).
    func decimals(scale: Int) throws -> [Double] {
        func scaled(_ unscaled: String) -> Double { Double(scale == 0 ? unscaled : "\(unscaled)e-\(scale)") ?? .nan }
        switch leaf.physical {
        case .int32: return scatter(0) { (value: Int32) in scaled(String(value)) }
        case .int64: return scatter(0) { (value: Int64) in scaled(String(value)) }
        default:
            return try byteValues { bytes -> Double in
                guard let first = bytes.first else { return 0 }
                if bytes.count <= 8 {
                    var value: Int64 = first >= 0x80 ? -1 : 0
                    for byte in bytes { value = value << 8 | Int64(byte) }
                    return scaled(String(value))
                }
                var magnitude = 0.0
                for byte in bytes { magnitude = magnitude * 256 + Double(byte) }
                if first >= 0x80 { magnitude -= pow(2, Double(8 * bytes.count)) }
                return magnitude / pow(10, Double(scale))
            }
        }
    }

    /// Text: a category where every chunk kept its dictionary (and categories are wanted),
    /// otherwise a string column. Bytes that are not UTF-8 are an error naming the row.
    func textStorage() throws -> Column.Storage {
        let allDictionary = chunks.allSatisfy { if case .dictionary = $0.values { return true } else { return false } }
        var firstRow = 0
        for chunk in chunks {
            switch chunk.values {
            case let .byteArrays(arrays): try validate(arrays, firstRow: firstRow, chunk: chunk)
            case let .dictionary(_, entries): try validate(entries, firstRow: nil, chunk: chunk)
            case .fixed, .sunk: break
            }
            firstRow += chunk.rows
        }
        if allDictionary && options.categories {
            var encoder = DictionaryEncoder()
            var codes: [Int32] = []
            codes.reserveCapacity(rows)
            for chunk in chunks {
                guard case let .dictionary(chunkCodes, entries) = chunk.values else { continue }
                var remap = [Int32](repeating: -1, count: entries.count)
                var next = 0
                entries.data.withUnsafeBytes { data in
                    func code(_ entry: Int) -> Int32 {
                        if remap[entry] < 0 {
                            let slice = UnsafeRawBufferPointer(rebasing: data[Int(entries.offsets[entry])..<Int(entries.offsets[entry + 1])])
                            remap[entry] = encoder.code(forUTF8: slice)
                        }
                        return remap[entry]
                    }
                    if let present = chunk.present {
                        for flag in present {
                            if flag != 0 { codes.append(code(Int(chunkCodes[next]))); next += 1 } else { codes.append(0) }
                        }
                    } else {
                        for entry in chunkCodes { codes.append(code(Int(entry))) }
                    }
                }
            }
            return .category(codes: ColumnBuffer(codes), dictionary: encoder.dictionary)
        }
        var offsets: [Int64] = [0], bytes: [UInt8] = []
        offsets.reserveCapacity(rows + 1)
        bytes.reserveCapacity(chunks.reduce(0) { total, chunk in
            if case let .byteArrays(arrays) = chunk.values { return total + arrays.data.count } else { return total }
        })
        for chunk in chunks {
            switch chunk.values {
            case let .byteArrays(arrays) where chunk.present == nil:
                // Every row has a value: the chunk's bytes and offsets move over whole.
                let shift = Int64(bytes.count)
                bytes.append(contentsOf: arrays.data)
                offsets.append(contentsOf: arrays.offsets.dropFirst().lazy.map { $0 + shift })
            case let .byteArrays(arrays):
                arrays.offsets.withUnsafeBufferPointer { starts in
                    arrays.data.withUnsafeBufferPointer { data in
                        var next = 0
                        for flag in chunk.present! {
                            if flag != 0 {
                                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: data[Int(starts[next])..<Int(starts[next + 1])]))
                                next += 1
                            }
                            offsets.append(Int64(bytes.count))
                        }
                    }
                }
            case let .dictionary(codes, entries):
                entries.offsets.withUnsafeBufferPointer { starts in
                    entries.data.withUnsafeBufferPointer { data in
                        var next = 0
                        for row in 0..<chunk.rows {
                            if chunk.present.map({ $0[row] != 0 }) ?? true {
                                let entry = Int(codes[next])
                                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: data[Int(starts[entry])..<Int(starts[entry + 1])]))
                                next += 1
                            }
                            offsets.append(Int64(bytes.count))
                        }
                    }
                }
            case .fixed, .sunk:
                offsets.append(contentsOf: repeatElement(Int64(bytes.count), count: chunk.rows))
            }
        }
        return .string(StringStorage(offsets: offsets, bytes: bytes))
    }

    func validate(_ arrays: ParquetEncoding.ByteArrays, firstRow: Int?, chunk: ParquetChunkDecoder.Decoded) throws {
        let invalid: Int? = arrays.data.withUnsafeBytes { data in
            if let bad = UTF8Validation.firstInvalid(data, from: 0) { return bad }
            // Valid as a whole, but a value may still start inside a character.
            for offset in arrays.offsets.dropFirst().dropLast() where Int(offset) < data.count && data[Int(offset)] & 0xC0 == 0x80 {
                return Int(offset)
            }
            return nil
        }
        guard let invalid else { return }
        let value = arrays.offsets.lastIndex { $0 <= Int64(invalid) } ?? 0
        if let firstRow, chunk.present == nil {
            throw failure("row \(firstRow + value + 1) is not UTF-8 text (binary data cannot be read into a table; encode it as text before writing)")
        }
        throw failure("value \(value + 1) of a row group is not UTF-8 text (binary data cannot be read into a table; encode it as text before writing)")
    }

    /// Dates and times as text, missing rows empty.
    func text(_ values: [Int64], _ validity: Bitmap?, _ format: (Int64) -> String) -> Column.Storage {
        .string(StringStorage(values.enumerated().map { row, value in validity.map { $0[row] } ?? true ? format(value) : "" }))
    }
}

/// What a missing row holds in a column built from converted values.
protocol DefaultPlaceholder { static var placeholder: Self { get } }
extension Double: DefaultPlaceholder { static var placeholder: Double { 0 } }
extension String: DefaultPlaceholder { static var placeholder: String { "" } }
