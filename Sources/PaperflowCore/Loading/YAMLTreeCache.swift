import Foundation

/// Composed YAML trees kept by the SHA-256 of their text, so an unchanged workflow is not parsed
/// again: composing a 500-stage workflow with Yams was a quarter of a no-op run.
///
/// Composition is a pure function of the text, so the text's digest is a sound key; the format
/// tag below changes whenever `YAMLNode` or this encoding does. Files live in
/// `Artifacts/yaml/<hex>`, written by rename (never half-written). A file that does not decode
/// exactly — cut, corrupt, another format — is ignored and the text composed again: the cache is
/// only a speed-up, and a lookup never throws. Locations are stored without the file name, which
/// is the caller's (`Workflows/x.yaml` or an absolute path: the same text under either name).
public struct YAMLTreeCache: Sendable {
    /// The folder of cached trees.
    public let directory: URL

    /// Texts shorter than this are composed every time (their parse costs less than a file read).
    public static let minimumLength = 8 * 1024

    static let magic: [UInt8] = Array("PFYAMLTREE2\n".utf8)

    /// A cache in `directory` (created on first store).
    public init(directory: URL) {
        self.directory = directory
    }

    /// The cached tree of `text`, with locations in `file`; nil when absent or unreadable.
    func tree(of text: String, file: String) -> (node: YAMLNode?, name: String) {
        let name = Self.name(of: text)
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
            return (nil, name)
        }
        return (Self.decode(data, file: file), name)
    }

    /// Keeps `node` as the tree of the text named `name` (failures are ignored: a speed-up only).
    func store(_ node: YAMLNode, name: String) {
        guard (try? FileSystem.makeDirectory(directory)) != nil else { return }
        try? FileSystem.writeAtomically(Self.encode(node), to: directory.appendingPathComponent(name))
    }

    public static func name(of text: String) -> String {
        ContentHasher.digest(of: Data(text.utf8)).hex
    }

    // MARK: Encoding
    //
    // magic, then a node: a tag byte (0 plain, 1 quoted, 2 block scalar; 3 sequence; 4 mapping),
    // line and column as LEB128, then the scalar's byte count and bytes, or the item count and
    // the items (a mapping's as key, value, key, value…).

    public static func encode(_ root: YAMLNode) -> Data {
        var bytes = magic
        func varint(_ value: Int) {
            var value = UInt64(max(value, 0))
            repeat {
                var byte = UInt8(value & 0x7F)
                value >>= 7
                if value != 0 { byte |= 0x80 }
                bytes.append(byte)
            } while value != 0
        }
        func emit(_ node: YAMLNode) {
            switch node.kind {
            case let .scalar(_, style):
                bytes.append(style == .plain ? 0 : style == .quoted ? 1 : 2)
            case .sequence: bytes.append(3)
            case .mapping: bytes.append(4)
            }
            varint(node.location.line)
            varint(node.location.column)
            switch node.kind {
            case let .scalar(text, _):
                varint(text.utf8.count)
                bytes.append(contentsOf: text.utf8)
            case let .sequence(items):
                varint(items.count)
                for item in items { emit(item) }
            case let .mapping(pairs):
                varint(pairs.count)
                for pair in pairs { emit(pair.key); emit(pair.value) }
            }
        }
        emit(root)
        return Data(bytes)
    }

    /// The tree in `data`, or nil unless it decodes exactly (every byte used, every bound kept).
    static func decode(_ data: Data, file: String) -> YAMLNode? {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> YAMLNode? in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard bytes.count > magic.count, bytes.prefix(magic.count).elementsEqual(magic) else { return nil }
            var at = magic.count
            func varint() -> Int? {
                var value = 0
                var shift = 0
                while at < bytes.count, shift < 63 {
                    let byte = bytes[at]
                    at += 1
                    value |= Int(byte & 0x7F) << shift
                    if byte & 0x80 == 0 { return value }
                    shift += 7
                }
                return nil
            }
            func node(depth: Int) -> YAMLNode? {
                guard depth < 10_000, at < bytes.count else { return nil }
                let tag = bytes[at]
                at += 1
                guard let line = varint(), let column = varint(), let count = varint() else { return nil }
                let location = SourceLocation(file: file, line: line, column: column)
                switch tag {
                case 0, 1, 2:
                    guard count <= bytes.count - at else { return nil }
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[at..<at + count]), as: UTF8.self)
                    at += count
                    return YAMLNode(.scalar(text, tag == 0 ? .plain : tag == 1 ? .quoted : .block), at: location)
                case 3:
                    guard count <= bytes.count - at else { return nil }  // every node takes bytes
                    var items: [YAMLNode] = []
                    items.reserveCapacity(count)
                    for _ in 0..<count {
                        guard let item = node(depth: depth + 1) else { return nil }
                        items.append(item)
                    }
                    return YAMLNode(.sequence(items), at: location)
                case 4:
                    guard count <= bytes.count - at else { return nil }
                    var pairs: [(key: YAMLNode, value: YAMLNode)] = []
                    pairs.reserveCapacity(count)
                    for _ in 0..<count {
                        guard let key = node(depth: depth + 1), let value = node(depth: depth + 1) else { return nil }
                        pairs.append((key, value))
                    }
                    return YAMLNode(.mapping(pairs), at: location)
                default:
                    return nil
                }
            }
            guard let root = node(depth: 0), at == bytes.count else { return nil }
            return root
        }
    }
}
