import Foundation

/// Reads CSV into a `Table`, straight from the file's bytes (memory-mapped), never line by line
/// through String.
///
/// Types: declared in `options.schema`, else inferred from the first `inferenceRows` rows:
/// `bool` (true/false), `int64`, `double`, otherwise `string`. A number with a leading zero
/// ("010110", a firm id "0042") is not a number: the column stays text, so HS codes and ids keep
/// their zeros without a schema — the silent error pandas, pyarrow and polars make by default.
/// A quoted field also counts as text. When a later row outgrows the inferred type (a "1.5" in an
/// int column), the column is widened and the file read again; the report counts the re-reads.
public enum CSVReader {
    /// Reads the CSV file at `url`, naming it `displayPath` in errors.
    /// - Throws: `CSVError` (malformed input, at its line and column) or a file-system error.
    public static func read(contentsOf url: URL, displayPath: String, options: CSVOptions = CSVOptions()) throws -> (Table, CSVReport) {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        return try data.withUnsafeBytes { try read(bytes: $0, file: displayPath, options: options) }
    }

    /// Reads CSV text (tests, small inputs).
    public static func read(text: String, file: String = "<text>", options: CSVOptions = CSVOptions()) throws -> (Table, CSVReport) {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { try read(bytes: $0, file: file, options: options) }
    }

    /// Reads CSV bytes.
    public static func read(bytes: UnsafeRawBufferPointer, file: String, options: CSVOptions) throws -> (Table, CSVReport) {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        var context = Context(bytes: bytes, start: start, file: file, options: options)
        let names = try context.readHeader()
        var types = try context.inferTypes(names: names)
        var rereads = 0
        while true {
            do {
                var (table, report) = try context.parse(names: names, types: types)
                report.types = Dictionary(uniqueKeysWithValues: zip(names, types))
                report.rereads = rereads
                return (table, report)
            } catch let widen as Widen {
                // An inferred type was too narrow: widen it and read the file again.
                types[widen.column] = widen.to
                rereads += 1
            }
        }
    }

    /// Thrown inside parsing when a value outgrows an inferred type.
    struct Widen: Error {
        var column: Int
        var to: DataType
    }

    struct Context {
        let bytes: UnsafeRawBufferPointer
        let start: Int
        let file: String
        let options: CSVOptions
        var dataStart = 0
        var dataLine = 1
        /// Missing tokens as bytes, and the longest one's length (most fields are longer: no compare).
        let missing: [[UInt8]]
        let longestMissing: Int

        init(bytes: UnsafeRawBufferPointer, start: Int, file: String, options: CSVOptions) {
            self.bytes = bytes
            self.start = start
            self.file = file
            self.options = options
            missing = options.missingTokens.map { Array($0.utf8) }
            longestMissing = missing.map(\.count).max() ?? -1
            dataStart = start
        }

        func error(_ tokenizer: CSVTokenizer, field: Int, _ message: String, hint: String) -> CSVError {
            let (line, column) = tokenizer.column(ofField: min(field, tokenizer.fields.count - 1))
            return CSVError(file: file, line: line, column: column, message: message, hint: hint)
        }

        func tokenizerError(_ error: Error) -> CSVError? {
            func column(_ lineStart: Int, _ offset: Int) -> Int {
                var characters = 0
                for i in lineStart..<offset where bytes[i] & 0xC0 != 0x80 { characters += 1 }
                return characters + 1
            }
            if let quote = error as? CSVTokenizer.UnterminatedQuote {
                return CSVError(file: file, line: quote.line, column: column(quote.lineStart, quote.offset),
                                message: "this quote is never closed (the rest of the file was read as one field)",
                                hint: "close the quote, or double a quote inside a quoted field (\"\")")
            }
            if let text = error as? CSVTokenizer.TextAfterQuote {
                return CSVError(file: file, line: text.line, column: column(text.lineStart, text.offset),
                                message: "text after a closing quote",
                                hint: "quote the whole field, doubling inner quotes: \"a \"\"b\"\" c\"")
            }
            return nil
        }

        mutating func readHeader() throws -> [String] {
            var tokenizer = CSVTokenizer(bytes: bytes, delimiter: options.delimiter, start: start)
            do {
                guard try tokenizer.nextRecord() else { return [] }
            } catch {
                throw tokenizerError(error) ?? CSVError(file: file, line: 1, column: 1, message: "\(error)", hint: "")
            }
            let count = tokenizer.fields.count
            guard options.hasHeader else {
                return (1...count).map { "column\($0)" }
            }
            var names: [String] = []
            var seen: [String: Int] = [:]
            for (index, field) in tokenizer.fields.enumerated() {
                let name = tokenizer.string(field)
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

        @inline(__always)
        func isMissing(_ field: CSVTokenizer.Field) -> Bool {
            let length = field.end - field.start
            guard !field.quoted, length <= longestMissing else { return false }
            for token in missing where token.count == length {
                if length == 0 { return true }
                var equal = true
                for i in 0..<length where bytes[field.start + i] != token[i] {
                    equal = false
                    break
                }
                if equal { return true }
            }
            return false
        }

        /// Declared types, else the narrowest type that fits the sample.
        func inferTypes(names: [String]) throws -> [DataType] {
            var candidates = names.map { options.schema[$0] }
            var canBool = Array(repeating: true, count: names.count)
            var canInt = Array(repeating: true, count: names.count)
            var canDouble = Array(repeating: true, count: names.count)
            var sawValue = Array(repeating: false, count: names.count)
            var tokenizer = makeTokenizer()
            var rows = 0
            while rows < options.inferenceRows {
                do {
                    guard try tokenizer.nextRecord() else { break }
                } catch {
                    throw tokenizerError(error)!
                }
                if tokenizer.isBlankRecord, names.count > 1 { continue }
                rows += 1
                for (index, field) in tokenizer.fields.enumerated() where index < names.count && candidates[index] == nil {
                    if isMissing(field) { continue }
                    sawValue[index] = true
                    if field.quoted {
                        canBool[index] = false; canInt[index] = false; canDouble[index] = false
                        continue
                    }
                    let slice = UnsafeRawBufferPointer(rebasing: bytes[field.start..<field.end])
                    if canBool[index], FieldParsing.bool(slice) == nil { canBool[index] = false }
                    if canInt[index], FieldParsing.int64(slice, allowLeadingZeros: false) == nil { canInt[index] = false }
                    if canDouble[index], !canInt[index] {
                        if FieldParsing.double(slice) == nil || Self.hasLeadingZero(slice) { canDouble[index] = false }
                    }
                }
            }
            for index in names.indices where candidates[index] == nil {
                if !sawValue[index] { candidates[index] = .string }
                else if canBool[index] { candidates[index] = .bool }
                else if canInt[index] { candidates[index] = .int64 }
                else if canDouble[index] { candidates[index] = .double }
                else { candidates[index] = .string }
            }
            return candidates.map { $0! }
        }

        /// "007.5" is a code, not a number; "0.5" is a number.
        static func hasLeadingZero(_ field: UnsafeRawBufferPointer) -> Bool {
            var index = 0
            if field.count > 0, field[0] == UInt8(ascii: "-") || field[0] == UInt8(ascii: "+") { index = 1 }
            return field.count > index + 1 && field[index] == UInt8(ascii: "0") && field[index + 1] != UInt8(ascii: ".")
                && field[index + 1] != UInt8(ascii: "e") && field[index + 1] != UInt8(ascii: "E")
        }

        func parse(names: [String], types: [DataType]) throws -> (Table, CSVReport) {
            let declared = names.map { options.schema[$0] != nil }
            var builders = zip(types, declared).map { ColumnBuilder(type: $0, declared: $1) }
            var report = CSVReport()
            var tokenizer = makeTokenizer()
            let sizeHint = max(16, bytes.count / max(1, 8 * names.count))
            for index in builders.indices { builders[index].reserve(sizeHint) }
            while true {
                do {
                    guard try tokenizer.nextRecord() else { break }
                } catch {
                    throw tokenizerError(error)!
                }
                let fields = tokenizer.fields
                if tokenizer.isBlankRecord, names.count > 1 { continue }
                if fields.count != names.count {
                    let problem = error(tokenizer, field: min(fields.count, names.count),
                                        "row has \(fields.count) field\(fields.count == 1 ? "" : "s"), the header has \(names.count)",
                                        hint: "quote fields that contain '\(Character(Unicode.Scalar(options.delimiter)))', or fix the row; bad_rows: skip leaves such rows out")
                    try skipOrThrow(problem, &report)
                    continue
                }
                // Convert every field first, so a bad value leaves no partial row behind.
                var rowOK = true
                for (index, field) in fields.enumerated() {
                    if isMissing(field) { continue }
                    let slice = UnsafeRawBufferPointer(rebasing: bytes[field.start..<field.end])
                    if !ColumnBuilder.accepts(slice, quoted: field.quoted, type: types[index], declared: declared[index]) {
                        if !declared[index] {
                            throw Widen(column: index, to: ColumnBuilder.wider(slice, quoted: field.quoted, type: types[index]))
                        }
                        let problem = error(tokenizer, field: index,
                                            "'\(tokenizer.string(field))' in column '\(names[index])' is not \(Self.article(types[index]))",
                                            hint: "fix the value, mark it missing (\(options.missingTokens.sorted().map { $0.isEmpty ? "empty" : $0 }.joined(separator: ", "))), or declare the column as string")
                        try skipOrThrow(problem, &report)
                        rowOK = false
                        break
                    }
                }
                guard rowOK else { continue }
                for (index, field) in fields.enumerated() {
                    if isMissing(field) {
                        builders[index].appendMissing()
                    } else if field.hasEscapedQuote {
                        builders[index].append(string: tokenizer.string(field))
                    } else {
                        builders[index].append(UnsafeRawBufferPointer(rebasing: bytes[field.start..<field.end]))
                    }
                }
                report.rows += 1
            }
            let table = try Table(zip(names, builders.map { $0.build() }).map { ($0, $1) })
            return (table, report)
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
