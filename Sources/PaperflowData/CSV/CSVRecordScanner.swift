/// Splits CSV records into fields (RFC 4180: quoted fields may hold delimiters, line breaks and
/// doubled quotes; LF, CR and CRLF line ends), without copying: fields are byte ranges. The one
/// record splitter of the reader: `CSVTokenizer` (header, type sample, error positions) and
/// `CSVChunkParser` (the data) both use it, so they cannot disagree.
struct CSVRecordScanner {
    /// Field flags: written in quotes (the range excludes them); holds doubled quotes.
    static let quoted: UInt8 = 1
    static let escaped: UInt8 = 2

    /// Input that is not CSV, at the byte where it goes wrong.
    struct SyntaxError: Error {
        enum Kind {
            /// A quote opened at `offset` is never closed.
            case unterminatedQuote
            /// Text follows a closing quote at `offset`.
            case textAfterQuote
        }

        var kind: Kind
        /// 1-based line of `offset`.
        var line: Int
        var offset: Int
    }

    let bytes: UnsafeRawBufferPointer
    let delimiter: UInt8

    /// Splits the record at `position` into fields, calling `field(column, start, end, flags)`
    /// for each (bytes without quotes), and leaves `position` after the record's line end and
    /// `line` on the next record's line.
    /// - Returns: the number of fields.
    /// - Throws: `SyntaxError` for an unterminated quote or text after a closing quote, where it is.
    @inline(__always)
    func scanRecord(_ position: inout Int, line: inout Int, field: (Int, Int, Int, UInt8) throws -> Void) throws -> Int {
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count = bytes.count
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriage = UInt8(ascii: "\r"), space = UInt8(ascii: " ")
        var column = 0
        while true {
            var fieldStart = position, fieldEnd: Int
            var flags: UInt8 = 0
            if position < count, base[position] == quote {
                flags = Self.quoted
                let openOffset = position, openLine = line
                position += 1
                fieldStart = position
                while true {
                    guard position < count else { throw SyntaxError(kind: .unterminatedQuote, line: openLine, offset: openOffset) }
                    let byte = base[position]
                    if byte == quote {
                        if position + 1 < count, base[position + 1] == quote {
                            flags |= Self.escaped
                            position += 2
                            continue
                        }
                        break
                    }
                    if byte == newline { line += 1 }
                    position += 1
                }
                fieldEnd = position
                position += 1
                while position < count, base[position] == space { position += 1 }
            } else {
                position = endOfUnquotedField(base, from: position, count: count)
                fieldEnd = position
            }
            try field(column, fieldStart, fieldEnd, flags)
            column += 1
            guard position < count else { break }
            let byte = base[position]
            if byte == delimiter {
                position += 1
                continue
            }
            if byte == newline {
                position += 1
            } else if byte == carriage {
                position += 1
                if position < count, base[position] == newline { position += 1 }
            } else {
                throw SyntaxError(kind: .textAfterQuote, line: line, offset: position)
            }
            break
        }
        line += 1
        return column
    }

    /// The offset of the first delimiter or line end at or after `position` (or `count`),
    /// sixteen bytes at a time, then eight, then one.
    @inline(__always)
    func endOfUnquotedField(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int {
        let delimiters = UInt64(delimiter) &* SWAR.ones
        let newlines = UInt64(UInt8(ascii: "\n")) &* SWAR.ones, carriages = UInt64(UInt8(ascii: "\r")) &* SWAR.ones
        var position = start
        let delimiterVector = SIMD16<UInt8>(repeating: delimiter), newlineVector = SIMD16<UInt8>(repeating: UInt8(ascii: "\n"))
        let carriageVector = SIMD16<UInt8>(repeating: UInt8(ascii: "\r"))
        while position + 16 <= count {
            // Sixteen bytes compared at once; each half of the match mask, read as a word in
            // little-endian order, has its first set byte at the first match.
            let bytes = UnsafeRawPointer(base).loadUnaligned(fromByteOffset: position, as: SIMD16<UInt8>.self)
            let hits = unsafeBitCast(SIMD16<UInt8>().replacing(with: 0xFF, where: bytes .== delimiterVector .| bytes .== newlineVector
                                                                   .| bytes .== carriageVector), to: SIMD2<UInt64>.self)
            if hits[0] != 0 { return position + UInt64(littleEndian: hits[0]).trailingZeroBitCount >> 3 }
            if hits[1] != 0 { return position + 8 + UInt64(littleEndian: hits[1]).trailingZeroBitCount >> 3 }
            position += 16
        }
        while position + 8 <= count {
            // Little-endian order: the first byte is the lowest lane.
            let word = UInt64(littleEndian: UnsafeRawPointer(base).loadUnaligned(fromByteOffset: position, as: UInt64.self))
            let hits = SWAR.matches(word, delimiters) | SWAR.matches(word, newlines) | SWAR.matches(word, carriages)
            if hits != 0 { return position + hits.trailingZeroBitCount >> 3 }
            position += 8
        }
        while position < count {
            let byte = base[position]
            if byte == delimiter || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
            position += 1
        }
        return position
    }
}
