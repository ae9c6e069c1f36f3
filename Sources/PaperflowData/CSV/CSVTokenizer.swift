/// Splits CSV bytes into records and fields (RFC 4180: quoted fields may hold delimiters,
/// newlines and doubled quotes; CRLF and LF line ends), without copying: fields are byte ranges.
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
    let delimiter: UInt8
    /// Next byte to read.
    var position: Int
    /// 1-based line of `position`.
    var line = 1
    /// Offset where that line starts (for columns).
    var lineStart: Int
    /// Fields of the last record read.
    var fields: [Field] = []
    /// Line where the last record began, and its offset (records begin at line starts).
    var recordLine = 1
    var recordStart = 0

    init(bytes: UnsafeRawBufferPointer, delimiter: UInt8, start: Int) {
        self.bytes = bytes
        self.delimiter = delimiter
        position = start
        lineStart = start
    }

    /// An unterminated quote: where it opened.
    struct UnterminatedQuote: Error {
        var line: Int
        var lineStart: Int
        var offset: Int
    }

    /// Text between a closing quote and the next delimiter.
    struct TextAfterQuote: Error {
        var line: Int
        var lineStart: Int
        var offset: Int
    }

    /// Reads the next record into `fields`; false at the end of input.
    mutating func nextRecord() throws -> Bool {
        fields.removeAll(keepingCapacity: true)
        let count = bytes.count
        guard position < count else { return false }
        recordLine = line
        recordStart = position
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriage = UInt8(ascii: "\r")
        while true {
            if position < count, bytes[position] == quote {
                let openLine = line, openLineStart = lineStart, openOffset = position
                position += 1
                let start = position
                var escaped = false
                while true {
                    guard position < count else {
                        throw UnterminatedQuote(line: openLine, lineStart: openLineStart, offset: openOffset)
                    }
                    let byte = bytes[position]
                    if byte == quote {
                        if position + 1 < count, bytes[position + 1] == quote {
                            escaped = true
                            position += 2
                            continue
                        }
                        break
                    }
                    if byte == newline {
                        line += 1
                        lineStart = position + 1
                    }
                    position += 1
                }
                fields.append(Field(start: start, end: position, quoted: true, hasEscapedQuote: escaped))
                position += 1 // closing quote
                // Anything up to the delimiter or line end after a closing quote is kept as-is by
                // most readers; RFC 4180 forbids it. Skip spaces, stop at anything else.
                while position < count, bytes[position] == UInt8(ascii: " ") { position += 1 }
            } else {
                let start = position
                while position < count {
                    let byte = bytes[position]
                    if byte == delimiter || byte == newline || byte == carriage { break }
                    position += 1
                }
                fields.append(Field(start: start, end: position, quoted: false, hasEscapedQuote: false))
            }
            if position >= count { return true }
            let byte = bytes[position]
            if byte == delimiter {
                position += 1
                continue
            }
            if byte == carriage {
                position += 1
                if position < count, bytes[position] == newline { position += 1 }
            } else if byte == newline {
                position += 1
            } else {
                // Text after a closing quote (`"abc"def`) is not CSV.
                throw TextAfterQuote(line: line, lineStart: lineStart, offset: position)
            }
            line += 1
            lineStart = position
            return true
        }
    }

    /// The 1-based character column of field `index` of the last record.
    /// Recomputed from the record's start when an error needs it, so reading keeps no
    /// per-field position bookkeeping.
    func column(ofField index: Int) -> (line: Int, column: Int) {
        let offset = fields[index].start - (fields[index].quoted ? 1 : 0)
        var fieldLine = recordLine, start = recordStart
        for i in recordStart..<offset where bytes[i] == UInt8(ascii: "\n") {
            fieldLine += 1
            start = i + 1
        }
        var characters = 0
        for i in start..<offset where bytes[i] & 0xC0 != 0x80 { characters += 1 }
        return (fieldLine, characters + 1)
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
