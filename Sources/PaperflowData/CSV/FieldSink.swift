/// One column's share of a chunk being read: converts each field once and stores it straight
/// into the column's buffer, at the chunk's rows.
///
/// Fixed-width values (Int64, Double, Bool, category codes) go into a buffer shared by all
/// chunks, each chunk writing its own row range; text goes into the chunk's own byte array, with
/// each row's end offset (chunk-relative) in the shared buffer. Rows are chunk-local from 0.
struct FieldSink {
    /// What storing a field did.
    enum Outcome {
        case stored
        /// The value does not parse as the declared type: the row is bad.
        case rejected
        /// The value does not fit the inferred type: the column must be widened to this one.
        case widen(DataType)
    }

    let type: DataType
    /// Declared in the schema (lenient: "0042" is 42) rather than inferred (strict: "0042" is a
    /// code, which widens the column to text, and so does a quoted field).
    let declared: Bool
    /// The chunk's first slot in the column's buffer.
    let values: UnsafeMutableRawPointer
    /// Text columns: the chunk's UTF-8 bytes.
    var bytes: [UInt8] = []
    /// Category columns: the chunk's dictionary.
    var encoder = DictionaryEncoder()
    /// The row that last added a dictionary entry (a rolled-back row takes its entry back).
    private var lastAddedRow = -1
    /// Chunk-local rows that are missing, in order.
    var missing: [Int] = []

    init(type: DataType, declared: Bool, values: UnsafeMutableRawPointer, expectedBytes: Int) {
        self.type = type
        self.declared = declared
        self.values = values
        // Room for the chunk's text up front (untouched pages cost nothing), capped so that a
        // huge file read in one pass does not ask for its size again per text column.
        if type == .string { bytes.reserveCapacity(min(expectedBytes, 1 << 28)) }
    }

    /// Bytes per row in the shared buffer.
    static func width(_ type: DataType) -> Int {
        switch type {
        case .int64, .double, .string: return 8
        case .category: return 4
        case .bool: return 1
        }
    }

    /// Converts and stores `field` (without its quotes; `escaped`: it holds doubled quotes).
    @inline(__always)
    mutating func append(_ field: UnsafeRawBufferPointer, quoted: Bool, escaped: Bool, row: Int) -> Outcome {
        if escaped { return Self.unescaping(field) { append($0, quoted: true, escaped: false, row: row) } }
        switch type {
        case .int64: return storeInt64(field, quoted: quoted, row: row)
        case .double: return storeDouble(field, quoted: quoted, row: row)
        case .bool: return storeBool(field, quoted: quoted, row: row)
        case .string: return storeString(field, row: row)
        case .category: return storeCategory(field, row: row)
        }
    }

    /// Stores column `column` of every record in `batch` as rows `firstRow...`: one loop per
    /// type, so the conversion runs without a type dispatch per field.
    mutating func appendColumn(of batch: borrowing FieldBatch, column: Int, firstRow: Int, missingTokens: MissingTokens) -> Outcome {
        switch type {
        case .int64: return forEach(batch, column, firstRow, missingTokens) { $0.storeInt64($1, quoted: $2, row: $3) }
        case .double: return forEach(batch, column, firstRow, missingTokens) { $0.storeDouble($1, quoted: $2, row: $3) }
        case .bool: return forEach(batch, column, firstRow, missingTokens) { $0.storeBool($1, quoted: $2, row: $3) }
        case .string: return forEach(batch, column, firstRow, missingTokens) { sink, field, _, row in sink.storeString(field, row: row) }
        case .category: return forEach(batch, column, firstRow, missingTokens) { sink, field, _, row in sink.storeCategory(field, row: row) }
        }
    }

    @inline(__always)
    private mutating func forEach(_ batch: borrowing FieldBatch, _ column: Int, _ firstRow: Int, _ missingTokens: MissingTokens,
                                  _ store: (inout FieldSink, UnsafeRawBufferPointer, Bool, Int) -> Outcome) -> Outcome {
        for record in 0..<batch.records {
            let (field, flags) = batch.field(record, column)
            let row = firstRow + record
            let outcome: Outcome
            if flags == 0 {
                if missingTokens.contains(field) {
                    appendMissing(row: row)
                    continue
                }
                outcome = store(&self, field, false, row)
            } else if flags & CSVRecordScanner.escaped != 0 {
                outcome = Self.unescaping(field) { store(&self, $0, true, row) }
            } else {
                outcome = store(&self, field, true, row)
            }
            if case .stored = outcome { continue }
            return outcome
        }
        return .stored
    }

    /// Calls `body` with the field's text, doubled quotes made single.
    private static func unescaping(_ field: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Outcome) -> Outcome {
        var text: [UInt8] = []
        text.reserveCapacity(field.count)
        var index = 0
        while index < field.count {
            text.append(field[index])
            index += field[index] == UInt8(ascii: "\"") ? 2 : 1
        }
        return text.withUnsafeBytes(body)
    }

    @inline(__always)
    private func storeInt64(_ field: UnsafeRawBufferPointer, quoted: Bool, row: Int) -> Outcome {
        if quoted, !declared { return .widen(.string) }
        guard let value = FieldParsing.int64(field, allowLeadingZeros: declared) else {
            if declared || FieldParsing.isOutOfRangeNumber(field) { return .rejected }
            return .widen(FieldParsing.double(field) != nil && !FieldParsing.hasLeadingZero(field) ? .double : .string)
        }
        values.assumingMemoryBound(to: Int64.self)[row] = value
        return .stored
    }

    @inline(__always)
    private func storeDouble(_ field: UnsafeRawBufferPointer, quoted: Bool, row: Int) -> Outcome {
        if quoted, !declared { return .widen(.string) }
        guard let value = FieldParsing.double(field), declared || !FieldParsing.hasLeadingZero(field) else {
            return declared || FieldParsing.isOutOfRangeNumber(field) ? .rejected : .widen(.string)
        }
        values.assumingMemoryBound(to: Double.self)[row] = value
        return .stored
    }

    @inline(__always)
    private func storeBool(_ field: UnsafeRawBufferPointer, quoted: Bool, row: Int) -> Outcome {
        if quoted, !declared { return .widen(.string) }
        guard let value = FieldParsing.bool(field) else { return declared ? .rejected : .widen(.string) }
        values.assumingMemoryBound(to: Bool.self)[row] = value
        return .stored
    }

    @inline(__always)
    private mutating func storeString(_ field: UnsafeRawBufferPointer, row: Int) -> Outcome {
        bytes.append(contentsOf: field)
        values.assumingMemoryBound(to: Int64.self)[row] = Int64(bytes.count)
        return .stored
    }

    @inline(__always)
    private mutating func storeCategory(_ field: UnsafeRawBufferPointer, row: Int) -> Outcome {
        let before = encoder.count
        values.assumingMemoryBound(to: Int32.self)[row] = encoder.code(forUTF8: field)
        if encoder.count != before { lastAddedRow = row }
        return .stored
    }

    /// What a sink holds, to go back to when a batch turns out to have a bad row.
    struct Checkpoint {
        var bytes: Int
        var dictionary: Int
        var missing: Int
    }

    var checkpoint: Checkpoint { Checkpoint(bytes: bytes.count, dictionary: encoder.count, missing: missing.count) }

    /// Forgets everything stored since `checkpoint` was taken.
    mutating func restore(_ checkpoint: Checkpoint) {
        bytes.removeLast(bytes.count - checkpoint.bytes)
        encoder.truncate(to: checkpoint.dictionary)
        missing.removeLast(missing.count - checkpoint.missing)
        lastAddedRow = -1
    }

    /// Stores a missing value: a placeholder (0, false, "", code 0) and the row in `missing`.
    @inline(__always)
    mutating func appendMissing(row: Int) {
        missing.append(row)
        switch type {
        case .int64: values.assumingMemoryBound(to: Int64.self)[row] = 0
        case .double: values.assumingMemoryBound(to: Double.self)[row] = 0
        case .bool: values.assumingMemoryBound(to: Bool.self)[row] = false
        case .string: values.assumingMemoryBound(to: Int64.self)[row] = Int64(bytes.count)
        case .category: values.assumingMemoryBound(to: Int32.self)[row] = 0
        }
    }

    /// Takes back whatever row `row` stored (a bad row is left out whole).
    mutating func rollback(row: Int) {
        if missing.last == row { missing.removeLast() }
        switch type {
        case .string:
            let start = row == 0 ? 0 : Int(values.assumingMemoryBound(to: Int64.self)[row - 1])
            bytes.removeLast(bytes.count - start)
        case .category where lastAddedRow == row:
            encoder.truncate(to: encoder.count - 1)
            lastAddedRow = -1
        default:
            break
        }
    }
}
