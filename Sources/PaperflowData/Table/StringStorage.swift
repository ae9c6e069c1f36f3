/// Strings stored as one UTF-8 buffer and `count + 1` offsets (Arrow's layout): compact, and
/// written to and read from the binary table format without touching each string.
public struct StringStorage: Sendable, Hashable {
    /// Start of string `i` is `offsets[i]`, its end `offsets[i + 1]`.
    public private(set) var offsets: [Int64]
    /// The UTF-8 bytes of all strings, back to back.
    public private(set) var bytes: [UInt8]

    /// An empty storage.
    public init() {
        offsets = [0]
        bytes = []
    }

    /// Wraps buffers (offsets must start at 0, rise, and end at `bytes.count`).
    public init(offsets: [Int64], bytes: [UInt8]) {
        self.offsets = offsets
        self.bytes = bytes
    }

    /// Builds from strings.
    public init<S: Sequence>(_ strings: S) where S.Element == String {
        self.init()
        for string in strings { append(string) }
    }

    /// Number of strings.
    public var count: Int { offsets.count - 1 }

    /// Appends a string.
    public mutating func append(_ string: String) {
        bytes.append(contentsOf: string.utf8)
        offsets.append(Int64(bytes.count))
    }

    /// Appends raw UTF-8 bytes.
    public mutating func append(utf8 buffer: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: buffer)
        offsets.append(Int64(bytes.count))
    }

    /// Reserves room for `strings` more strings of `bytes` more bytes.
    public mutating func reserve(strings: Int, bytes byteCount: Int) {
        offsets.reserveCapacity(offsets.count + strings)
        bytes.reserveCapacity(bytes.count + byteCount)
    }

    /// String `index`.
    public subscript(index: Int) -> String {
        let start = Int(offsets[index]), end = Int(offsets[index + 1])
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
    }

    /// Calls `body` with the bytes of string `index`, without making a String.
    public func withUTF8<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = Int(offsets[index]), end = Int(offsets[index + 1])
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }
}
