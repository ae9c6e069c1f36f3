/// Writes a `ParamValue` as JSON: keys sorted by their UTF-8 bytes, so the same value always
/// gives the same bytes (lock files, run records). Several times faster than Foundation's
/// `JSONEncoder` with `.sortedKeys`, which matters when a run writes a line per stage.
///
/// Non-finite doubles have no JSON form and are written as the strings "inf", "-inf" and "nan".
public enum JSONText {
    /// Compact JSON on one line.
    public static func compact(_ value: ParamValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out, indent: nil)
        return out
    }

    /// Pretty JSON with two-space indentation and a trailing newline.
    public static func pretty(_ value: ParamValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(value, into: &out, indent: 0)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    private static func write(_ value: ParamValue, into out: inout [UInt8], indent: Int?) {
        switch value {
        case .null: out += "null".utf8
        case let .bool(b): out += (b ? "true" : "false").utf8
        case let .int(i): out += String(i).utf8
        case let .double(d):
            if d.isNaN { out += "\"nan\"".utf8 } else if d.isInfinite { out += (d < 0 ? "\"-inf\"" : "\"inf\"").utf8 } else { out += d.description.utf8 }
        case let .string(s): writeString(s, into: &out)
        case let .list(items):
            guard !items.isEmpty else { out += "[]".utf8; return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent.map { $0 + 1 })
                write(item, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "]"))
        case let .map(entries):
            guard !entries.isEmpty else { out += "{}".utf8; return }
            out.append(UInt8(ascii: "{"))
            // Deterministic order (Unicode scalar order, which is UTF-8 byte order for NFC text).
            for (i, key) in entries.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent.map { $0 + 1 })
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                write(entries[key]!, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int?) {
        guard let indent else { return }
        out.append(UInt8(ascii: "\n"))
        out += repeatElement(UInt8(ascii: " "), count: 2 * indent)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\"".utf8
            case UInt8(ascii: "\\"): out += "\\\\".utf8
            case UInt8(ascii: "\n"): out += "\\n".utf8
            case UInt8(ascii: "\r"): out += "\\r".utf8
            case UInt8(ascii: "\t"): out += "\\t".utf8
            case 0..<0x20:
                out += "\\u00".utf8
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
