/// A strict JSON (RFC 8259) reader that reports where a document goes wrong, by line and column.
///
/// Foundation's parsers say only "not valid JSON"; a plugin author fixing a malformed reply needs
/// the place. Numbers without a fraction or exponent that fit in 64 bits are integers, the rest
/// doubles; `null` is `.null`; duplicate keys keep the last value, as most JSON libraries do.
public struct JSONReader {
    /// Where and why a document is not JSON.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based line and column (in Unicode scalars) of the offending character.
        public var line: Int, column: Int
        public var message: String
        public init(line: Int, column: Int, message: String) {
            self.line = line
            self.column = column
            self.message = message
        }
        public var description: String { "\(line):\(column): \(message)" }
    }

    private let bytes: [UInt8]
    private var index = 0

    /// Parses `bytes` as one JSON value with nothing but whitespace around it.
    public static func parse<Bytes: Sequence>(_ bytes: Bytes) throws(Failure) -> ParamValue where Bytes.Element == UInt8 {
        var reader = JSONReader(bytes: Array(bytes))
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        if reader.index < reader.bytes.count { throw reader.failure("unexpected \(reader.found) after the document's end") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var found: String {
        guard index < bytes.count else { return "end of file" }
        let byte = bytes[index]
        return byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private func failure(_ message: String) -> Failure {
        var line = 1, column = 1
        for byte in bytes[..<min(index, bytes.count)] {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return Failure(line: line, column: column, message: message)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func value(depth: Int) throws(Failure) -> ParamValue {
        guard depth < 512 else { throw failure("nesting deeper than 512 levels") }
        guard index < bytes.count else { throw failure("expected a value, found end of file") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("expected a value, found \(found)")
        }
    }

    private mutating func literal(_ word: String) throws(Failure) {
        for byte in word.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw failure("expected '\(word)', found \(found)") }
            index += 1
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> ParamValue {
        index += 1
        var map: [String: ParamValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .map(map) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw failure("expected a key in double quotes, found \(found)")
            }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':' after the key, found \(found)") }
            index += 1
            skipWhitespace()
            map[key] = try value(depth: depth + 1)
            skipWhitespace()
            guard index < bytes.count else { throw failure("expected ',' or '}', found end of file") }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .map(map) }
            guard bytes[index] == UInt8(ascii: ",") else { throw failure("expected ',' or '}', found \(found)") }
            index += 1
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> ParamValue {
        index += 1
        var items: [ParamValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .list(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw failure("expected ',' or ']', found end of file") }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .list(items) }
            guard bytes[index] == UInt8(ascii: ",") else { throw failure("expected ',' or ']', found \(found)") }
            index += 1
        }
    }

    private mutating func string() throws(Failure) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var run = index
        func flush(_ end: Int) { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flush(index)
                index += 1
                return String(scalars)
            }
            if byte < 0x20 { throw failure("control character in a string (write it as an escape, e.g. \\n)") }
            if byte != UInt8(ascii: "\\") { index += 1; continue }
            flush(index)
            index += 1
            guard index < bytes.count else { break }
            switch bytes[index] {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), index + 2 < bytes.count,
                   bytes[index + 1] == UInt8(ascii: "\\"), bytes[index + 2] == UInt8(ascii: "u") {
                    index += 2
                    let low = try hex4()
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: throw failure("unknown escape '\\\(Character(Unicode.Scalar(bytes[index])))'")
            }
            index += 1
            run = index
        }
        throw failure("a string is not closed before the end of file")
    }

    /// Reads the four hex digits after `\u`, leaving `index` on the last one.
    private mutating func hex4() throws(Failure) -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            index += 1
            guard index < bytes.count, let digit = Self.hexValue(bytes[index]) else {
                throw failure("expected four hex digits after \\u")
            }
            code = code * 16 + digit
        }
        return code
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private mutating func number() throws(Failure) -> ParamValue {
        let start = index
        var integral = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits() -> Int {
            let first = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - first
        }
        let leading = index
        guard digits() > 0 else { throw failure("expected a digit, found \(found)") }
        if bytes[leading] == UInt8(ascii: "0"), index - leading > 1 {
            index = leading
            throw failure("a number may not start with 0")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard digits() > 0 else { throw failure("expected a digit after '.', found \(found)") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("expected a digit in the exponent, found \(found)") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if integral, let integer = Int64(text) { return .int(integer) }
        return .double(Double(text)!)
    }
}
