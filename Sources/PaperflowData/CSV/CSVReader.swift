import Foundation

/// Reads CSV into a `Table`, straight from the file's bytes (memory-mapped), never line by line
/// through String.
///
/// Types: declared in `options.schema`, else inferred from the first `inferenceRows` rows:
/// `bool` (true/false), `int64`, `double`, otherwise text — `category` when the sample repeats its
/// values (`CSVOptions.inferCategories`), else `string`. A number with a leading zero
/// ("010110", a firm id "0042") is not a number: the column stays text, so HS codes and ids keep
/// their zeros without a schema — the silent error pandas, pyarrow and polars make by default.
/// A quoted field also counts as text. When a later row outgrows the inferred type (a "1.5" in an
/// int column), the column is widened and the file read again; the report counts the re-reads.
///
/// Large files are read by all cores: `CSVChunking` splits them at record boundaries,
/// `CSVChunkParser` parses each chunk into the final columns' own buffers (`ColumnBuffers`), and
/// the result is the same table, bit for bit, as one sequential pass. A chunk that meets a bad
/// row hands the file to the sequential pass, which names each problem at its line and column.
public enum CSVReader {
    /// Reads the CSV file at `url`, naming it `displayPath` in errors.
    /// - Throws: `CSVError` (malformed input, at its line and column; a file that cannot be read).
    public static func read(contentsOf url: URL, displayPath: String, options: CSVOptions = CSVOptions()) throws -> (Table, CSVReport) {
        let file: MappedFile
        do {
            file = try MappedFile(path: url.path)
        } catch let error as MappedFile.OpenError {
            throw CSVError(file: displayPath, line: 0, column: 0, message: error.reason, hint: "check the path and the file's permissions")
        }
        return try read(bytes: file.bytes, file: displayPath, options: options, mapped: file)
    }

    /// Reads CSV text (tests, small inputs).
    public static func read(text: String, file: String = "<text>", options: CSVOptions = CSVOptions()) throws -> (Table, CSVReport) {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { try read(bytes: $0, file: file, options: options) }
    }

    /// Reads CSV bytes.
    public static func read(bytes: UnsafeRawBufferPointer, file: String, options: CSVOptions) throws -> (Table, CSVReport) {
        try read(bytes: bytes, file: file, options: options, mapped: nil)
    }

    private static func read(bytes: UnsafeRawBufferPointer, file: String, options: CSVOptions, mapped: MappedFile?) throws -> (Table, CSVReport) {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        var context = Context(bytes: bytes, start: start, file: file, options: options, mapped: mapped)
        // Text that is not UTF-8 (a GBK export, say) would become U+FFFD replacement
        // characters: refuse it at its place instead.
        if let offset = UTF8Validation.firstInvalid(bytes, from: start) { throw context.encodingError(at: offset) }
        let names = try context.readHeader()
        var types = try context.inferTypes(names: names)
        var rereads = 0
        while true {
            do {
                var (table, report) = try context.parse(names: names, types: types)
                report.renamedColumns = context.renamedColumns
                report.types = Dictionary(uniqueKeysWithValues: zip(names, types))
                report.rereads = rereads
                return (table, report)
            } catch let widening as Widening {
                // An inferred type was too narrow: widen it and read the file again.
                for (column, type) in widening.types { types[column] = type }
                rereads += 1
            }
        }
    }

    /// Thrown while parsing when values outgrow inferred types: the wider type of each column.
    struct Widening: Error {
        var types: [Int: DataType]

        init(_ types: [Int: DataType]) { self.types = types }

        /// Takes the wider of two widenings of a column (text holds anything).
        mutating func merge(_ other: Widening) {
            types.merge(other.types) { $0 == .string || $1 == .string ? .string : $0 }
        }
    }

    struct Context {
        let bytes: UnsafeRawBufferPointer
        let start: Int
        let file: String
        let options: CSVOptions
        /// The mapping `bytes` lie in, if any: parsed chunks give their pages back.
        let mapped: MappedFile?
        var dataStart = 0
        var dataLine = 1
        /// Header cells that were empty, and the names they were given.
        var renamedColumns: [String] = []

        init(bytes: UnsafeRawBufferPointer, start: Int, file: String, options: CSVOptions, mapped: MappedFile?) {
            self.bytes = bytes
            self.start = start
            self.file = file
            self.options = options
            self.mapped = mapped
            dataStart = start
        }

        func error(_ tokenizer: CSVTokenizer, field: Int, _ message: String, hint: String) -> CSVError {
            let (line, column) = tokenizer.column(ofField: min(field, tokenizer.fields.count - 1))
            return CSVError(file: file, line: line, column: column, message: message, hint: hint)
        }

        /// The error for bytes that are not UTF-8 (columns count from the line's start; on line 1,
        /// from after a BOM).
        func encodingError(at offset: Int) -> CSVError {
            let (line, column) = CSVTokenizer.position(of: offset, in: bytes, from: start, line: 1)
            let shown = (offset..<min(bytes.count, offset + 4)).map { "0x" + String(bytes[$0], radix: 16, uppercase: true) }
            return CSVError(file: file, line: line, column: column,
                            message: "bytes \(shown.joined(separator: " ")) are not UTF-8 text (the file may be in GBK, GB18030 or Latin-1)",
                            hint: "convert the file to UTF-8, e.g. iconv -f GB18030 -t UTF-8 \(file) > converted.csv, and read that")
        }

        /// The error for input that is not CSV, at its line and character column.
        func syntaxError(_ error: CSVRecordScanner.SyntaxError) -> CSVError {
            // Columns count characters from the line's start (on line 1, from after a BOM).
            var lineStart = error.offset
            while lineStart > start, bytes[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
            var characters = 0
            for i in lineStart..<error.offset where bytes[i] & 0xC0 != 0x80 { characters += 1 }
            switch error.kind {
            case .unterminatedQuote:
                return CSVError(file: file, line: error.line, column: characters + 1,
                                message: "this quote is never closed (the rest of the file was read as one field)",
                                hint: "close the quote, or double a quote inside a quoted field (\"\")")
            case .textAfterQuote:
                return CSVError(file: file, line: error.line, column: characters + 1,
                                message: "text after a closing quote",
                                hint: "quote the whole field, doubling inner quotes: \"a \"\"b\"\" c\"")
            }
        }

        /// The tokenizer's next record; input that is not CSV becomes the file's `CSVError`.
        func nextRecord(_ tokenizer: inout CSVTokenizer) throws -> Bool {
            do {
                return try tokenizer.nextRecord()
            } catch let error as CSVRecordScanner.SyntaxError {
                throw syntaxError(error)
            }
        }

        mutating func readHeader() throws -> [String] {
            var tokenizer = CSVTokenizer(bytes: bytes, delimiter: options.delimiter, start: start)
            guard try nextRecord(&tokenizer) else { return [] }
            let count = tokenizer.fields.count
            guard options.hasHeader else {
                return (1...count).map { "column\($0)" }
            }
            var names: [String] = []
            var seen: [String: Int] = [:]
            for (index, field) in tokenizer.fields.enumerated() {
                var name = tokenizer.string(field)
                if name.isEmpty {
                    // pandas writes an empty first header cell for its index: name it, and say so.
                    name = "column_\(index + 1)"
                    let (line, column) = tokenizer.column(ofField: index)
                    renamedColumns.append("\(name) (the header cell at \(file):\(line):\(column) is empty)")
                }
                if let first = seen[name] {
                    throw error(tokenizer, field: index, "column name '\(name)' appears twice (columns \(first + 1) and \(index + 1))",
                                hint: "rename one of them in the header")
                }
                seen[name] = index
                names.append(name)
            }
            dataStart = tokenizer.position
            dataLine = tokenizer.line
            return names
        }

        func makeTokenizer() -> CSVTokenizer {
            var tokenizer = CSVTokenizer(bytes: bytes, delimiter: options.delimiter, start: dataStart)
            tokenizer.line = dataLine
            return tokenizer
        }

        /// Declared types, else the narrowest type that fits the sample.
        func inferTypes(names: [String]) throws -> [DataType] {
            var candidates = names.map { options.schema[$0] }
            var canBool = Array(repeating: true, count: names.count)
            var canInt = Array(repeating: true, count: names.count)
            var canDouble = Array(repeating: true, count: names.count)
            var sawValue = Array(repeating: false, count: names.count)
            var values = Array(repeating: 0, count: names.count)
            var distinct = Array(repeating: DictionaryEncoder(), count: names.count)
            let missing = MissingTokens(options.missingTokens)
            var tokenizer = makeTokenizer()
            var rows = 0
            while rows < options.inferenceRows {
                guard try nextRecord(&tokenizer) else { break }
                if tokenizer.isBlankRecord, names.count > 1 { continue }
                rows += 1
                for (index, field) in tokenizer.fields.enumerated() where index < names.count && candidates[index] == nil {
                    let slice = UnsafeRawBufferPointer(rebasing: bytes[field.start..<field.end])
                    if !field.quoted, missing.contains(slice) { continue }
                    sawValue[index] = true
                    values[index] += 1
                    if distinct[index].count <= options.inferenceRows / 2 { _ = distinct[index].code(forUTF8: slice) }
                    if field.quoted {
                        canBool[index] = false; canInt[index] = false; canDouble[index] = false
                        continue
                    }
                    if canBool[index], FieldParsing.bool(slice) == nil { canBool[index] = false }
                    if canInt[index], FieldParsing.int64(slice, allowLeadingZeros: false) == nil { canInt[index] = false }
                    if canDouble[index], !canInt[index] {
                        if FieldParsing.double(slice) == nil || FieldParsing.hasLeadingZero(slice) { canDouble[index] = false }
                    }
                    if FieldParsing.isOutOfRangeNumber(slice) { throw outOfRange(tokenizer, field: index, name: names[index]) }
                }
            }
            for index in names.indices where candidates[index] == nil {
                if !sawValue[index] { candidates[index] = .string }
                else if canBool[index] { candidates[index] = .bool }
                else if canInt[index] { candidates[index] = .int64 }
                else if canDouble[index] { candidates[index] = .double }
                else if options.inferCategories, values[index] >= 1_000, distinct[index].count * 2 <= values[index] {
                    candidates[index] = .category
                } else { candidates[index] = .string }
            }
            return candidates.map { $0! }
        }

        /// Reads the data rows: in parallel chunks when the file is large and there is more than
        /// one core, else (and whenever a chunk meets a bad row or cannot be split safely) in one
        /// pass that names every problem at its line and column.
        func parse(names: [String], types: [DataType]) throws -> (Table, CSVReport) {
            let declared = names.map { options.schema[$0] != nil }
            let parser = CSVChunkParser(bytes: bytes, options: options, columnCount: names.count)
            let threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
            // Eight chunks a thread: small enough to balance the threads' loads and keep each
            // chunk's working set in cache (measured: 4 a thread 1.2–1.5 s on 10M rows, 8 a
            // thread 1.15–1.17 s, 16 a thread 1.14–1.31 s).
            let chunks = CSVChunking.chunks(of: bytes, from: dataStart, parts: threads > 1 ? threads * 8 : 1,
                                            minimumBytes: options.minimumChunkBytes)
            if chunks.count > 1, let parsed = try parseInParallel(chunks, parser: parser, names: names, types: types, declared: declared) {
                return parsed
            }
            let whole = CSVChunking.chunks(of: bytes, from: dataStart, parts: 1)[0]
            var report = CSVReport()
            let columns = try ColumnBuffers.columns(types: types, capacity: whole.capacity) { buffers in
                var sinks = buffers.sinks(rowOffset: 0, rows: 0, declared: declared, expectedBytes: bytes.count - dataStart)
                do {
                    report.rows = try sinks.withUnsafeMutableBufferPointer { sinks in
                        try parser.parse(from: whole.start, to: whole.end, line: dataLine, into: sinks) { problem in
                            try skipOrThrow(describe(problem, names: names, types: types), &report)
                        }.rows
                    }
                } catch let syntax as CSVRecordScanner.SyntaxError {
                    throw syntaxError(syntax)
                }
                return [(rowOffset: 0, rows: report.rows, sinks: sinks)]
            }
            return (try Table(zip(names, columns).map { ($0, $1) }), report)
        }

        /// Parses the chunks at once, or returns nil when any of them needs the sequential pass.
        private func parseInParallel(_ chunks: [CSVChunk], parser: CSVChunkParser, names: [String], types: [DataType],
                                     declared: [Bool]) throws -> (Table, CSVReport)? {
            enum Outcome {
                case parsed(rows: Int, sinks: [FieldSink])
                case widen(Widening)
                case sequential
            }
            struct NeedsSequentialPass: Error {}
            var rowOffsets: [Int] = [0]
            for chunk in chunks { rowOffsets.append(rowOffsets.last! + chunk.capacity) }
            var report = CSVReport()
            do {
                let columns = try ColumnBuffers.columns(types: types, capacity: rowOffsets.last!) { buffers in
                    var outcomes = [Outcome](repeating: .sequential, count: chunks.count)
                    outcomes.withUnsafeMutableBufferPointer { outcomes in
                        Parallel.forEach(chunks.count) { index in
                            let chunk = chunks[index]
                            mapped?.prefault(chunk.start..<chunk.end)
                            var sinks = buffers.sinks(rowOffset: rowOffsets[index], rows: chunk.capacity, declared: declared, expectedBytes: chunk.end - chunk.start)
                            do {
                                let (rows, end) = try sinks.withUnsafeMutableBufferPointer { sinks in
                                    try parser.parse(from: chunk.start, to: chunk.end, line: 1, into: sinks) { _ in throw NeedsSequentialPass() }
                                }
                                // A chunk whose last record runs past its end began inside a quoted field.
                                outcomes[index] = end == chunk.end ? .parsed(rows: rows, sinks: sinks) : .sequential
                            } catch let widening as Widening {
                                outcomes[index] = .widen(widening)
                            } catch {
                                outcomes[index] = .sequential
                            }
                            mapped?.release(chunk.start..<chunk.end)
                        }
                    }
                    var parts: [ColumnBuffers.Part] = []
                    var widening = Widening([:])
                    for (index, outcome) in outcomes.enumerated() {
                        switch outcome {
                        case .sequential: throw NeedsSequentialPass()
                        case let .widen(more): widening.merge(more)
                        case let .parsed(rows, sinks): parts.append((rowOffsets[index], rows, sinks))
                        }
                    }
                    if !widening.types.isEmpty { throw widening }
                    report.rows = parts.reduce(0) { $0 + $1.rows }
                    return parts
                }
                return (try Table(zip(names, columns).map { ($0, $1) }), report)
            } catch is NeedsSequentialPass {
                return nil
            }
        }

        /// The exact error for a bad row: its record read again, field by field.
        func describe(_ problem: CSVChunkParser.Problem, names: [String], types: [DataType]) throws -> CSVError {
            var tokenizer = CSVTokenizer(bytes: bytes, delimiter: options.delimiter, start: problem.recordStart)
            tokenizer.line = problem.line
            _ = try nextRecord(&tokenizer)
            let fields = tokenizer.fields
            switch problem.kind {
            case .fieldCount:
                return error(tokenizer, field: min(fields.count, names.count),
                             "row has \(fields.count) field\(fields.count == 1 ? "" : "s"), the header has \(names.count)",
                             hint: "quote fields that contain '\(Character(Unicode.Scalar(options.delimiter)))', or fix the row; bad_rows: skip leaves such rows out")
            case let .value(index) where FieldParsing.isOutOfRangeNumber(UnsafeRawBufferPointer(rebasing: bytes[fields[index].start..<fields[index].end])):
                return outOfRange(tokenizer, field: index, name: names[index])
            case let .value(index):
                return error(tokenizer, field: index,
                             "'\(tokenizer.string(fields[index]))' in column '\(names[index])' is not \(Self.article(types[index]))",
                             hint: "fix the value, mark it missing (\(options.missingTokens.sorted().map { $0.isEmpty ? "empty" : $0 }.joined(separator: ", "))), or declare the column as string")
            }
        }

        /// The error for a number beyond a Double's range (it would become infinity, or text).
        func outOfRange(_ tokenizer: CSVTokenizer, field: Int, name: String) -> CSVError {
            error(tokenizer, field: field, "'\(tokenizer.string(tokenizer.fields[field]))' in column '\(name)' is beyond the range of a number (±1.8e308)",
                  hint: "fix the value or mark it missing; to keep it as written, declare the column as string")
        }

        func skipOrThrow(_ problem: CSVError, _ report: inout CSVReport) throws {
            guard options.badRows == .skip else { throw problem }
            report.skippedRows += 1
            if report.skippedExamples.count < 10 {
                report.skippedExamples.append("\(problem.line):\(problem.column): \(problem.message)")
            }
        }

        static func article(_ type: DataType) -> String {
            switch type {
            case .int64: return "an integer"
            case .double: return "a number"
            case .bool: return "a boolean (true/false)"
            case .string, .category: return "text"
            }
        }
    }
}
