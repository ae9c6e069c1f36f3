/// A value of Apache Thrift's compact protocol, as Parquet encodes its footer and page headers:
/// structs are read whole into field-id → value maps, so the Parquet types pick the fields they
/// know and skip the rest (a newer writer's extra fields cost nothing).
indirect enum ThriftValue: Sendable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case binary([UInt8])
    case list([ThriftValue])
    case map([(ThriftValue, ThriftValue)])
    case structure(ThriftStruct)

    var int: Int64? { if case let .int(value) = self { return value } else { return nil } }
    var bool: Bool? { if case let .bool(value) = self { return value } else { return nil } }
    var binary: [UInt8]? { if case let .binary(value) = self { return value } else { return nil } }
    var string: String? { binary.map { String(decoding: $0, as: UTF8.self) } }
    var list: [ThriftValue]? { if case let .list(value) = self { return value } else { return nil } }
    var structure: ThriftStruct? { if case let .structure(value) = self { return value } else { return nil } }
}

/// A decoded Thrift struct: its fields by id.
struct ThriftStruct: Sendable {
    var fields: [Int16: ThriftValue] = [:]

    subscript(_ id: Int16) -> ThriftValue? { fields[id] }
    func int(_ id: Int16) -> Int? { fields[id]?.int.map { Int(truncatingIfNeeded: $0) } }
    func string(_ id: Int16) -> String? { fields[id]?.string }
    func structure(_ id: Int16) -> ThriftStruct? { fields[id]?.structure }
    func list(_ id: Int16) -> [ThriftValue] { fields[id]?.list ?? [] }
}

/// Reads compact-protocol structs from bytes; every read is bounds-checked, and nesting is
/// limited, so a damaged footer is an error rather than a crash or a runaway recursion.
struct ThriftCompactReader {
    struct Failure: Error { var message: String }

    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func byte() throws(Failure) -> UInt8 {
        guard position < bytes.count else { throw Failure(message: "Thrift data end early") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws(Failure) -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            let byte = try byte()
            guard shift < 64 else { throw Failure(message: "a Thrift varint longer than 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    mutating func zigzag() throws(Failure) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// A struct from the current position, up to and including its stop field.
    mutating func readStruct(depth: Int = 0) throws(Failure) -> ThriftStruct {
        guard depth < 32 else { throw Failure(message: "Thrift structs nested too deeply") }
        var result = ThriftStruct()
        var lastID: Int16 = 0
        while true {
            let header = try byte()
            if header == 0 { return result }
            let delta = Int16(header >> 4), type = header & 0x0F
            let id: Int16
            if delta != 0 {
                id = lastID &+ delta
            } else {
                id = Int16(truncatingIfNeeded: try zigzag())
            }
            lastID = id
            switch type {
            case 1: result.fields[id] = .bool(true)
            case 2: result.fields[id] = .bool(false)
            default: result.fields[id] = try value(type: type, depth: depth)
            }
        }
    }

    mutating func value(type: UInt8, depth: Int) throws(Failure) -> ThriftValue {
        switch type {
        case 1, 2: return .bool(try byte() == 1)
        case 3: return .int(Int64(Int8(bitPattern: try byte())))
        case 4, 5, 6: return .int(try zigzag())
        case 7:
            guard position + 8 <= bytes.count else { throw Failure(message: "Thrift data end early") }
            defer { position += 8 }
            return .double(Double(bitPattern: loadPadded64(bytes, at: position)))
        case 8:
            let length = Int(clamping: try varint())
            guard length <= bytes.count - position else { throw Failure(message: "a Thrift string runs past its data") }
            defer { position += length }
            return .binary(Array(bytes[position..<(position + length)]))
        case 9, 10:
            let header = try byte()
            var count = Int(header >> 4)
            if count == 15 { count = Int(clamping: try varint()) }
            guard count <= bytes.count - position else { throw Failure(message: "a Thrift list longer than its data") }
            var items: [ThriftValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try value(type: header & 0x0F, depth: depth + 1)) }
            return .list(items)
        case 11:
            let count = Int(clamping: try varint())
            guard count <= bytes.count - position else { throw Failure(message: "a Thrift map longer than its data") }
            guard count > 0 else { return .map([]) }
            let types = try byte()
            var pairs: [(ThriftValue, ThriftValue)] = []
            for _ in 0..<count {
                pairs.append((try value(type: types >> 4, depth: depth + 1), try value(type: types & 0x0F, depth: depth + 1)))
            }
            return .map(pairs)
        case 12: return .structure(try readStruct(depth: depth + 1))
        default: throw Failure(message: "a Thrift field of unknown type \(type)")
        }
    }
}
