/// Writes a `Table` as CSV that `CSVReader` reads back to the same table.
///
/// Doubles use the shortest text that reads back to the same bits. A missing value is an empty
/// unquoted field. A string is quoted when it holds the delimiter, a quote, a line end or edge
/// spaces, or when unquoted it would read back as something else (missing, a number, a boolean):
/// quoted fields are always text to the reader.
public enum CSVWriter {
    /// The CSV bytes of `table`, with a header, LF line ends.
    public static func write(_ table: Table, delimiter: UInt8 = UInt8(ascii: ","),
                             missingTokens: Set<String> = CSVOptions().missingTokens) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(table.rowCount * table.columns.count * 8 + 64)
        for (index, name) in table.names.enumerated() {
            if index > 0 { out.append(delimiter) }
            appendString(name, into: &out, delimiter: delimiter, missingTokens: [], header: true)
        }
        out.append(UInt8(ascii: "\n"))
        for row in 0..<table.rowCount {
            for (index, column) in table.columns.enumerated() {
                if index > 0 { out.append(delimiter) }
                if column.isMissing(row) { continue }
                switch column.storage {
                case let .int64(values): out += String(values[row]).utf8
                // Swift's description is the shortest text that reads back to the same bits.
                case let .double(values): out += values[row].description.utf8
                case let .bool(values): out += (values[row] ? "true" : "false").utf8
                case let .string(storage):
                    appendString(storage[row], into: &out, delimiter: delimiter, missingTokens: missingTokens, header: false)
                case let .category(codes, dictionary):
                    appendString(dictionary[Int(codes[row])], into: &out, delimiter: delimiter, missingTokens: missingTokens, header: false)
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    private static func appendString(_ string: String, into out: inout [UInt8], delimiter: UInt8,
                                     missingTokens: Set<String>, header: Bool) {
        var needsQuotes = string.isEmpty && !header || missingTokens.contains(string)
        if !needsQuotes {
            for byte in string.utf8 where byte == delimiter || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r") {
                needsQuotes = true
                break
            }
        }
        if !needsQuotes, !header, let first = string.utf8.first, let last = string.utf8.last {
            needsQuotes = first == UInt8(ascii: " ") || last == UInt8(ascii: " ")
            if !needsQuotes {
                var copy = string
                needsQuotes = copy.withUTF8 { buffer in
                    let raw = UnsafeRawBufferPointer(buffer)
                    // Would the reader's inference take it for a number or a boolean? Codes with a
                    // leading zero ("010110") read back as text already and stay unquoted.
                    let number = (FieldParsing.double(raw) != nil || FieldParsing.int64(raw, allowLeadingZeros: false) != nil)
                        && !FieldParsing.hasLeadingZero(raw)
                    return number || FieldParsing.bool(raw) != nil
                }
            }
        }
        guard needsQuotes else {
            out += string.utf8
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
