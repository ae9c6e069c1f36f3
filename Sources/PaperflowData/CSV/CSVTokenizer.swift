/// Reads CSV bytes record by record into an array of fields (byte ranges, split by
/// `CSVRecordScanner`), for the header, the type sample and the exact position of an error.
struct CSVTokenizer {
    /// One field of the current record.
    struct Field {
        var start: Int
        var end: Int
        /// Written in quotes (the range excludes them).
        var quoted: Bool
        /// Holds a doubled quote to unescape.
        var hasEscapedQuote: Bool
    }

    let bytes: UnsafeRawBufferPointer
    private let scanner: CSVRecordScanner
    /// Next byte to read.
    var position: Int
    /// 1-based line of `position`.
    var line = 1
    /// Fields of the last record read.
    var fields: [Field] = []
    /// Line where the last record began, and its offset (records begin at line starts).
    var recordLine = 1
    var recordStart = 0

    init(bytes: UnsafeRawBufferPointer, delimiter: UInt8, start: Int) {
        self.bytes = bytes
        scanner = CSVRecordScanner(bytes: bytes, delimiter: delimiter)
        position = start
    }

    /// Reads the next record into `fields`; false at the end of input.
    /// - Throws: `CSVRecordScanner.SyntaxError` for input that is not CSV.
    mutating func nextRecord() throws -> Bool {
        // Work on locals (the fields keep their storage), so the scan touches no part of self.
        var fields: [Field] = []
        swap(&fields, &self.fields)
        fields.removeAll(keepingCapacity: true)
        defer { swap(&fields, &self.fields) }
        guard position < bytes.count else { return false }
        recordLine = line
        recordStart = position
        var position = self.position, line = self.line
        _ = try scanner.scanRecord(&position, line: &line) { _, start, end, flags in
            fields.append(Field(start: start, end: end, quoted: flags & CSVRecordScanner.quoted != 0,
                                hasEscapedQuote: flags & CSVRecordScanner.escaped != 0))
        }
        (self.position, self.line) = (position, line)
        return true
    }

    /// The 1-based character column of field `index` of the last record.
    /// Recomputed from the record's start when an error needs it, so reading keeps no
    /// per-field position bookkeeping.
    func column(ofField index: Int) -> (line: Int, column: Int) {
        Self.position(of: fields[index].start - (fields[index].quoted ? 1 : 0), in: bytes, from: recordStart, line: recordLine)
    }

    /// The line and 1-based character column of byte `offset`, counting from byte `start`, which
    /// begins line `line` (newlines inside quoted fields count as lines).
    static func position(of offset: Int, in bytes: UnsafeRawBufferPointer, from start: Int, line: Int) -> (line: Int, column: Int) {
        var line = line, lineStart = start
        for i in start..<offset where bytes[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        var characters = 0
        for i in lineStart..<offset where bytes[i] & 0xC0 != 0x80 { characters += 1 }
        return (line, characters + 1)
    }

    /// The text of a field, unescaped.
    func string(_ field: Field) -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[field.start..<field.end])
        let text = String(decoding: slice, as: UTF8.self)
        return field.hasEscapedQuote ? text.replacingOccurrences(of: "\"\"", with: "\"") : text
    }

    /// Whether the last record was an empty line (one empty, unquoted field): skipped, as
    /// pandas and R do, unless the file has a single column.
    var isBlankRecord: Bool {
        fields.count == 1 && fields[0].start == fields[0].end && !fields[0].quoted
    }
}
