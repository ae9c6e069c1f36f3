/// A YAML node with its position: the Sendable tree every later step of loading reads.
public struct YAMLNode: Sendable, Hashable {
    /// How a scalar was written; quoted and block scalars are always strings.
    public enum ScalarStyle: Sendable, Hashable {
        case plain, quoted, block
    }

    /// The node's shape.
    public enum Kind: Sendable, Hashable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([(key: YAMLNode, value: YAMLNode)])

        public static func == (lhs: Kind, rhs: Kind) -> Bool {
            switch (lhs, rhs) {
            case let (.scalar(a, s), .scalar(b, t)): return a == b && s == t
            case let (.sequence(a), .sequence(b)): return a == b
            case let (.mapping(a), .mapping(b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: return false
            }
        }

        public func hash(into hasher: inout Hasher) {
            switch self {
            case let .scalar(text, style): hasher.combine(0); hasher.combine(text); hasher.combine(style)
            case let .sequence(items): hasher.combine(1); hasher.combine(items)
            case let .mapping(pairs):
                hasher.combine(2)
                for pair in pairs { hasher.combine(pair.key); hasher.combine(pair.value) }
            }
        }
    }

    /// The node's shape and content.
    public var kind: Kind
    /// Where the node starts.
    public var location: SourceLocation

    /// Creates a node.
    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The scalar text, when this is a scalar.
    public var scalarText: String? {
        if case let .scalar(text, _) = kind { return text }
        return nil
    }

    /// The mapping's pairs, when this is a mapping.
    public var pairs: [(key: YAMLNode, value: YAMLNode)]? {
        if case let .mapping(pairs) = kind { return pairs }
        return nil
    }

    /// A short name of the node's shape for messages.
    public var shapeDescription: String {
        switch kind {
        case .scalar: return "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a map"
        }
    }

    /// The typed value: YAML 1.2 core schema for plain scalars, strings for quoted ones.
    public var value: ParamValue {
        switch kind {
        case let .scalar(text, style):
            return style == .plain ? YAMLScalarResolver.resolvePlain(text) : .string(text)
        case let .sequence(items):
            return .list(items.map(\.value))
        case let .mapping(pairs):
            var map: [String: ParamValue] = [:]
            for pair in pairs { map[pair.key.scalarText ?? pair.key.value.description] = pair.value.value }
            return .map(map)
        }
    }
}
