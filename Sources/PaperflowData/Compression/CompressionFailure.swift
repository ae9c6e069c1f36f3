/// A compressed stream that cannot be decoded (snappy, zstd): what is wrong with it.
struct CompressionFailure: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
