/// A parameter value as written in a workflow, after YAML 1.2 core-schema resolution.
///
/// Built from the YAML node tree, never through a "try Bool first" decoder: only plain
/// `true`/`false` are booleans and quoted scalars stay strings (`country: "NO"` and
/// `country: NO` are both the string `NO`).
public indirect enum ParamValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case list([ParamValue])
    case map([String: ParamValue])

    /// The string, when this is one.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The integer, when this is one.
    public var intValue: Int64? {
        if case let .int(i) = self { return i }
        return nil
    }

    /// The number as a double, for ints and doubles alike.
    public var doubleValue: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: return nil
        }
    }

    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// The elements, when this is a list.
    public var listValue: [ParamValue]? {
        if case let .list(l) = self { return l }
        return nil
    }

    /// The entries, when this is a map.
    public var mapValue: [String: ParamValue]? {
        if case let .map(m) = self { return m }
        return nil
    }

    /// A short name of the value's type, for messages ("a string", "a list").
    public var typeDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .list: return "a list"
        case .map: return "a map"
        }
    }

    /// Equality that treats `2` and `2.0` alike, for explaining changes read back from JSON.
    public func looselyEquals(_ other: ParamValue) -> Bool {
        switch (self, other) {
        case let (.int(a), .double(b)), let (.double(b), .int(a)): return Double(a) == b
        case let (.list(a), .list(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.looselyEquals($1) }
        case let (.map(a), .map(b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map(value.looselyEquals) ?? false }
        default: return self == other
        }
    }
}

extension ParamValue: CustomStringConvertible {
    /// A compact YAML-flow rendering (`[2002, 2016]`, `{cluster: firm}`), used in messages and `why`.
    public var description: String {
        switch self {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .double(d): return d.description
        case let .string(s): return Self.needsQuotes(s) ? "\"\(s.replacingOccurrences(of: "\"", with: "\\\""))\"" : s
        case let .list(l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
        case let .map(m):
            return "{" + m.keys.sorted().map { "\($0): \(m[$0]!.description)" }.joined(separator: ", ") + "}"
        }
    }

    private static func needsQuotes(_ s: String) -> Bool {
        if s.isEmpty { return true }
        if YAMLScalarResolver.resolvePlain(s) != .string(s) { return true }
        return s.contains { ",:[]{}#&*!|>'\"%@`\n".contains($0) } || s.first == " " || s.last == " "
    }
}

extension ParamValue: Codable {
    /// Decodes natural JSON: integers without a fraction become `.int`, other numbers `.double`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let l = try? container.decode([ParamValue].self) {
            self = .list(l)
        } else {
            self = .map(try container.decode([String: ParamValue].self))
        }
    }

    /// Encodes natural JSON, so lock files and run records read like the workflow.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(b): try container.encode(b)
        case let .int(i): try container.encode(i)
        case let .double(d): try container.encode(d)
        case let .string(s): try container.encode(s)
        case let .list(l): try container.encode(l)
        case let .map(m): try container.encode(m)
        }
    }
}
