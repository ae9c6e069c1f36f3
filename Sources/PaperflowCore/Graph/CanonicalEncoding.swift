import Crypto

/// A byte encoding of values that is the same on every machine and every run: map keys sorted by
/// their UTF-8 bytes, every leaf tagged with its type, every string and container length-prefixed
/// (so no two different values share an encoding). Never `hashValue`, never `description`.
///
/// Tags: `N` null, `T`/`F` booleans, `I` integer (decimal), `D` double (IEEE-754 bit pattern, hex),
/// `S` string, `L` list, `M` map; each followed by `:` and, for strings and containers, a length.
public struct CanonicalEncoder: Sendable {
    /// The encoded bytes so far.
    public private(set) var bytes: [UInt8] = []

    /// Creates an empty encoder.
    public init() {}

    /// Appends a tagged string.
    public mutating func append(_ string: String) {
        let utf8 = Array(string.utf8)
        bytes += Array("S\(utf8.count):".utf8)
        bytes += utf8
    }

    /// Appends a tagged integer.
    public mutating func append(_ int: Int64) {
        bytes += Array("I\(int);".utf8)
    }

    /// Appends a parameter value.
    public mutating func append(_ value: ParamValue) {
        switch value {
        case .null: bytes += Array("N;".utf8)
        case let .bool(b): bytes += Array((b ? "T;" : "F;").utf8)
        case let .int(i): append(i)
        case let .double(d):
            // -0.0 and 0.0 differ in bits but not in meaning; NaN has many bit patterns.
            let normalized = d == 0 ? 0.0 : (d.isNaN ? Double.nan : d)
            bytes += Array("D\(String(normalized.bitPattern, radix: 16));".utf8)
        case let .string(s): append(s)
        case let .list(items):
            bytes += Array("L\(items.count):".utf8)
            for item in items { append(item) }
        case let .map(entries):
            appendMap(entries) { encoder, value in encoder.append(value) }
        }
    }

    /// Appends a map with keys in UTF-8 byte order, encoding each value with `encodeValue`.
    public mutating func appendMap<Value>(_ entries: [String: Value], _ encodeValue: (inout CanonicalEncoder, Value) -> Void) {
        bytes += Array("M\(entries.count):".utf8)
        for key in entries.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            append(key)
            encodeValue(&self, entries[key]!)
        }
    }

    /// SHA-256 of the bytes.
    public var digest: Digest {
        Digest(bytes: SHA256.hash(data: bytes))
    }
}
