/// The inner loop of CSV reading: splits the records that begin in one byte range into batches
/// of field boundaries, then hands each column of a batch to its sink, which converts it in one
/// typed loop.
///
/// It finds problems but does not describe them: a bad row is reported by where its record
/// starts, and the reader re-reads that one record with `CSVTokenizer` to name the exact line and
/// column. Records are split by `CSVRecordScanner`, as `CSVTokenizer` splits them.
struct CSVChunkParser {
    /// A row that cannot be stored whole.
    struct Problem {
        enum Kind {
            /// More or fewer fields than the header.
            case fieldCount
            /// Column `column`'s value does not parse as its declared type.
            case value(column: Int)
        }

        /// Offset and 1-based line of the record's first byte.
        var recordStart: Int
        var line: Int
        var kind: Kind
    }

    let bytes: UnsafeRawBufferPointer
    let scanner: CSVRecordScanner
    let columnCount: Int
    let missing: MissingTokens

    init(bytes: UnsafeRawBufferPointer, options: CSVOptions, columnCount: Int) {
        self.bytes = bytes
        scanner = CSVRecordScanner(bytes: bytes, delimiter: options.delimiter)
        self.columnCount = columnCount
        missing = MissingTokens(options.missingTokens)
    }

    /// Reads the records that begin in `start..<end` (the last may run past `end`) into `sinks`,
    /// rows numbered from 0. A problem row is taken back from every sink and passed to `problem`,
    /// which throws to stop or returns to skip the row; a value outgrowing an inferred type
    /// throws `CSVReader.Widening`; input that is not CSV throws `CSVRecordScanner.SyntaxError`.
    ///
    /// Records are split into a batch of field boundaries first, then each column of the batch
    /// is converted in one loop. A batch with a bad row is read again record by record
    /// (`parseRows`), which leaves exactly the bad rows out.
    /// - Returns: the rows stored and the offset just past the last record read.
    func parse(from start: Int, to end: Int, line firstLine: Int, into sinks: UnsafeMutableBufferPointer<FieldSink>,
               problem: (Problem) throws -> Void) throws -> (rows: Int, end: Int) {
        // Small enough that the batch's boundaries stay in the L1/L2 cache while its columns convert.
        var batch = FieldBatch(columns: columnCount, capacity: 512, bytes: bytes)
        var position = start, line = firstLine, row = 0
        while position < end {
            let batchStart = position, batchLine = line
            let (stop, clean) = try tokenize(from: position, to: end, line: &line, into: &batch)
            if batch.records > 0 {
                if try convert(batch, firstRow: row, into: sinks) {
                    row += batch.records
                } else {
                    row += try parseRows(from: batchStart, to: stop, line: batchLine, firstRow: row, into: sinks, problem: problem).rows
                }
            }
            position = stop
            if !clean {
                // The record at `stop` has the wrong number of fields.
                let read = try parseRows(from: stop, to: stop + 1, line: line, firstRow: row, into: sinks, problem: problem)
                (row, position, line) = (row + read.rows, read.end, read.line)
            }
        }
        return (row, position)
    }

    /// Converts every column of a clean batch; false (and nothing stored) when a value is bad.
    private func convert(_ batch: borrowing FieldBatch, firstRow: Int, into sinks: UnsafeMutableBufferPointer<FieldSink>) throws -> Bool {
        let checkpoints = sinks.map(\.checkpoint)
        for column in 0..<columnCount {
            switch sinks[column].appendColumn(of: batch, column: column, firstRow: firstRow, missingTokens: missing) {
            case .stored:
                continue
            case .rejected:
                for index in 0...column { sinks[index].restore(checkpoints[index]) }
                return false
            case let .widen(type):
                throw CSVReader.Widening([column: type])
            }
        }
        return true
    }

    /// Splits records into `batch` until it is full or `end` is reached; stops before a record
    /// with the wrong number of fields (`clean` false, `stop` at its start, `line` its line).
    private func tokenize(from start: Int, to end: Int, line: inout Int, into batch: inout FieldBatch) throws -> (stop: Int, clean: Bool) {
        batch.records = 0
        guard let raw = bytes.baseAddress else { return (start, true) }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        let count = bytes.count
        let columnCount = self.columnCount
        var position = start
        while position < end, batch.records < batch.capacity {
            let recordStart = position, recordLine = line
            if skipBlankLine(base, &position, count: count, line: &line) { continue }
            let slot = batch.records * columnCount
            let fields = try scanner.scanRecord(&position, line: &line) { column, fieldStart, fieldEnd, flags in
                if column < columnCount { batch.set(slot + column, fieldStart, fieldEnd, flags) }
            }
            guard fields == columnCount else {
                line = recordLine
                return (recordStart, false)
            }
            batch.records += 1
        }
        return (position, true)
    }

    /// Steps over an empty line, which is no record (as pandas and R read it) unless the file
    /// has one column.
    @inline(__always)
    private func skipBlankLine(_ base: UnsafePointer<UInt8>, _ position: inout Int, count: Int, line: inout Int) -> Bool {
        let newline = UInt8(ascii: "\n"), carriage = UInt8(ascii: "\r")
        guard columnCount > 1, base[position] == newline || base[position] == carriage else { return false }
        position += base[position] == carriage && position + 1 < count && base[position + 1] == newline ? 2 : 1
        line += 1
        return true
    }

    /// `parse`, one record at a time: each problem row is left out on its own.
    private func parseRows(from start: Int, to end: Int, line firstLine: Int, firstRow: Int, into sinks: UnsafeMutableBufferPointer<FieldSink>,
                           problem: (Problem) throws -> Void) throws -> (rows: Int, end: Int, line: Int) {
        guard let raw = bytes.baseAddress, start < end else { return (0, start, firstLine) }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        let count = bytes.count
        let columnCount = self.columnCount
        var position = start, line = firstLine, row = firstRow
        while position < end {
            let recordStart = position, recordLine = line
            if skipBlankLine(base, &position, count: count, line: &line) { continue }
            var badValue = -1
            let fields = try scanner.scanRecord(&position, line: &line) { column, fieldStart, fieldEnd, flags in
                guard column < columnCount, badValue < 0 else { return }
                let field = UnsafeRawBufferPointer(start: base + fieldStart, count: fieldEnd - fieldStart)
                if flags == 0, missing.contains(field) {
                    sinks[column].appendMissing(row: row)
                    return
                }
                switch sinks[column].append(field, quoted: flags != 0, escaped: flags & CSVRecordScanner.escaped != 0, row: row) {
                case .stored: break
                case .rejected: badValue = column
                case let .widen(type): throw CSVReader.Widening([column: type])
                }
            }
            if fields == columnCount, badValue < 0 {
                row += 1
                continue
            }
            for index in 0..<min(fields, columnCount) { sinks[index].rollback(row: row) }
            try problem(Problem(recordStart: recordStart, line: recordLine,
                                kind: fields == columnCount ? .value(column: badValue) : .fieldCount))
        }
        return (row - firstRow, position, line)
    }
}

/// The field boundaries of a batch of records: field `column` of record `record` is at
/// `record * columns + column`; flags as `CSVRecordScanner` gives them.
struct FieldBatch: ~Copyable {
    let columns: Int
    let capacity: Int
    var records = 0
    private let base: UnsafeRawPointer?
    private let starts: UnsafeMutablePointer<Int>
    private let ends: UnsafeMutablePointer<Int>
    private let flags: UnsafeMutablePointer<UInt8>

    init(columns: Int, capacity: Int, bytes: UnsafeRawBufferPointer) {
        self.columns = columns
        self.capacity = capacity
        base = bytes.baseAddress
        starts = .allocate(capacity: max(1, columns * capacity))
        ends = .allocate(capacity: max(1, columns * capacity))
        flags = .allocate(capacity: max(1, columns * capacity))
    }

    deinit {
        starts.deallocate()
        ends.deallocate()
        flags.deallocate()
    }

    @inline(__always)
    func set(_ slot: Int, _ start: Int, _ end: Int, _ fieldFlags: UInt8) {
        starts[slot] = start
        ends[slot] = end
        flags[slot] = fieldFlags
    }

    /// The bytes (without quotes) and flags of a field.
    @inline(__always)
    func field(_ record: Int, _ column: Int) -> (UnsafeRawBufferPointer, UInt8) {
        let slot = record * columns + column
        return (UnsafeRawBufferPointer(start: base.map { $0 + starts[slot] }, count: ends[slot] - starts[slot]), flags[slot])
    }
}
