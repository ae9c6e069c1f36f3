/// YAML 1.2 core-schema resolution of plain (unquoted) scalars.
///
/// Unlike YAML 1.1 (and decoders that try `Bool` first), `yes`, `no`, `on`, `off`, `NO` stay
/// strings; only `true`/`false` (and their capitalised forms) are booleans.
public enum YAMLScalarResolver {
    /// Resolves a plain scalar's text to a typed value.
    public static func resolvePlain(_ text: String) -> ParamValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        if let i = integer(text) { return .int(i) }
        if isFloat(text), let d = Double(text) { return .double(d) }
        return .string(text)
    }

    private static func integer(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        if body.hasPrefix("0x") {
            let digits = body.dropFirst(2)
            guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit), text.first != "-", text.first != "+" else { return nil }
            return Int64(digits, radix: 16)
        }
        if body.hasPrefix("0o") {
            let digits = body.dropFirst(2)
            guard !digits.isEmpty, digits.allSatisfy({ ("0"..."7").contains($0) }), text.first != "-", text.first != "+" else { return nil }
            return Int64(digits, radix: 8)
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard let magnitude = Int64(body) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
    private static func isFloat(_ text: String) -> Bool {
        var chars = Array(text.utf8)[...]
        if let c = chars.first, c == UInt8(ascii: "-") || c == UInt8(ascii: "+") { chars = chars.dropFirst() }
        func digits() -> Int {
            var n = 0
            while let c = chars.first, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { chars = chars.dropFirst(); n += 1 }
            return n
        }
        let whole = digits()
        var fraction = 0
        var hasDot = false
        if chars.first == UInt8(ascii: ".") {
            hasDot = true
            chars = chars.dropFirst()
            fraction = digits()
        }
        guard whole > 0 || fraction > 0 else { return false }
        if let c = chars.first, c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            chars = chars.dropFirst()
            if let s = chars.first, s == UInt8(ascii: "-") || s == UInt8(ascii: "+") { chars = chars.dropFirst() }
            guard digits() > 0 else { return false }
            return chars.isEmpty
        }
        return chars.isEmpty && (hasDot || whole == 0)
    }
}
