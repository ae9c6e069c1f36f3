import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `.pftable` written chunk by chunk, for a table too large to hold: its row count, column
/// types and category dictionaries are known before the first row, so every buffer's place in
/// the file is too, and each chunk's rows go straight to their places. Only a chunk is ever in
/// memory. The bytes are those `BinaryTableFormat.write` gives the whole table.
///
/// Fixed-width columns only (int64, double, bool, category): a string column's byte length is
/// not known before its rows are.
public final class BinaryTableStream {
    /// A column of the table to come.
    public struct ColumnSpec: Sendable {
        public var name: String
        public var type: DataType
        /// Whether some row will be missing (the header says so before any row is written).
        public var hasValidity: Bool
        /// A category column's levels (every chunk's codes index them).
        public var dictionary: StringStorage?

        public init(name: String, type: DataType, hasValidity: Bool = false, dictionary: StringStorage? = nil) {
            self.name = name
            self.type = type
            self.hasValidity = hasValidity
            self.dictionary = dictionary
        }
    }

    /// The file being written.
    public let url: URL
    /// Rows the table will have.
    public let rows: Int
    /// Bytes the file will have.
    public var size: Int { layout.size }

    private let specs: [ColumnSpec]
    private let layout: BinaryTableFormat.Layout
    private var descriptor: Int32
    private var written = 0
    /// Per column: the validity bits of rows past the last whole word, and whether a row was missing.
    private var pendingBits: [UInt64], sawMissing: [Bool]

    /// Creates the file at `url` (which must not exist) at its full size.
    /// - Parameter room: the bytes the file may take (default: the free space of its disk; a
    ///   compressing filesystem holds more than that).
    /// - Throws: `FormatError` for a string column, a category without a dictionary, or a file
    ///   that cannot be created — or when the table needs more than that room.
    public init(url: URL, rows: Int, columns: [ColumnSpec], room: Double? = nil) throws {
        self.url = url
        self.rows = rows
        specs = columns
        layout = try Self.layout(rows: rows, columns: columns)
        pendingBits = Array(repeating: 0, count: columns.count)
        sawMissing = Array(repeating: false, count: columns.count)
        var disk = statvfs()
        if let free = room ?? (statvfs(url.deletingLastPathComponent().path, &disk) == 0 ? Double(disk.f_bavail) * Double(disk.f_frsize) : nil) {
            if Double(layout.size) > free {
                throw BinaryTableFormat.FormatError(message: "this table of \(rows) rows takes \(String(format: "%.1f", Double(layout.size) / 1_073_741_824)) GiB, and the disk of \(url.deletingLastPathComponent().path) has \(String(format: "%.1f", free / 1_073_741_824)) GiB free")
            }
        }
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure("cannot create", url) }
        do {
            // Holes read as zeros: the padding between buffers is never written.
            guard ftruncate(descriptor, off_t(layout.size)) == 0 else { throw Self.failure("cannot size", url) }
            let preamble = UnsafeMutableRawBufferPointer.allocate(byteCount: layout.offsets.first ?? layout.size, alignment: 64)
            defer { preamble.deallocate() }
            layout.writePreamble(into: preamble)
            try put(UnsafeRawBufferPointer(preamble), at: 0)
            for (index, spec) in specs.enumerated() {
                guard let dictionary = spec.dictionary else { continue }
                let buffers = layout.columnBuffers[index]
                try dictionary.offsets.withUnsafeBytes { try put($0, at: layout.offsets[buffers[1]]) }
                try dictionary.bytes.withUnsafeBytes { try put($0, at: layout.offsets[buffers[2]]) }
            }
        } catch {
            close(descriptor)
            descriptor = -1
            throw error
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Writes the next rows: `chunk` has the columns declared, in order, with their types (a
    /// category's codes index the declared dictionary).
    /// - Throws: `FormatError` when the chunk does not match the declaration, would pass the row
    ///   count, has a missing row where none was declared, or cannot be written.
    public func append(_ chunk: Table) throws {
        guard chunk.names == specs.map(\.name), zip(chunk.columns, specs).allSatisfy({ $0.type == $1.type }) else {
            throw BinaryTableFormat.FormatError(message: "a chunk of columns \(chunk.names) does not match the table's \(specs.map(\.name))")
        }
        let count = chunk.rowCount
        guard written + count <= rows else {
            throw BinaryTableFormat.FormatError(message: "\(written + count) rows written to a table declared with \(rows)")
        }
        for (index, (column, spec)) in zip(chunk.columns, specs).enumerated() {
            let at = layout.offsets[layout.columnBuffers[index][0]]
            switch column.storage {
            case let .int64(values): try values.withUnsafeBufferPointer { try put(UnsafeRawBufferPointer($0), at: at + written * 8) }
            case let .double(values):
                // Missing rows hold +0.0, as the whole-table writer leaves them.
                if column.validity == nil {
                    try values.withUnsafeBufferPointer { try put(UnsafeRawBufferPointer($0), at: at + written * 8) }
                } else {
                    let bits = (0..<count).map { column.isMissing($0) ? 0 : values[$0].bitPattern }
                    try bits.withUnsafeBytes { try put($0, at: at + written * 8) }
                }
            case let .bool(values):
                let bytes = values.map { UInt8($0 ? 1 : 0) }
                try bytes.withUnsafeBytes { try put($0, at: at + written) }
            case let .category(codes, dictionary):
                guard dictionary == spec.dictionary else {
                    throw BinaryTableFormat.FormatError(message: "a chunk's column '\(spec.name)' has another dictionary than the table's")
                }
                try codes.withUnsafeBufferPointer { try put(UnsafeRawBufferPointer($0), at: at + written * 4) }
            case .string: preconditionFailure("a string column is refused when the stream is made")
            }
            if column.missingCount > 0 {
                guard spec.hasValidity else {
                    throw BinaryTableFormat.FormatError(message: "column '\(spec.name)' has a missing row, and the table was declared without missing rows")
                }
                sawMissing[index] = true
            }
            if spec.hasValidity { try appendValidity(column, count: count, column: index) }
        }
        written += count
    }

    /// Completes the file once every declared row is written.
    /// - Throws: `FormatError` when rows are missing, a column declared with missing rows had
    ///   none (the whole-table writer would have written no validity), or the file cannot be closed.
    public func finish() throws {
        guard written == rows else {
            throw BinaryTableFormat.FormatError(message: "\(written) rows written to a table declared with \(rows)")
        }
        for (index, spec) in specs.enumerated() where spec.hasValidity {
            guard sawMissing[index] else {
                throw BinaryTableFormat.FormatError(message: "column '\(spec.name)' was declared with missing rows and has none")
            }
            if rows % 64 != 0 {
                let word = pendingBits[index]
                try withUnsafeBytes(of: word.littleEndian) { try put($0, at: validityOffset(index) + rows / 64 * 8) }
            }
        }
        let descriptor = self.descriptor
        self.descriptor = -1
        guard close(descriptor) == 0 else { throw Self.failure("cannot close", url) }
    }

    /// The validity bits of a chunk after those already written: whole words go to the file,
    /// the rest waits for the next chunk.
    private func appendValidity(_ column: Column, count: Int, column index: Int) throws {
        let bits = column.validity ?? Bitmap(count: count, value: true)
        var words: [UInt64] = []
        words.reserveCapacity(count / 64 + 1)
        // `pending` holds the first `shift` bits of the word being filled; bits past a bitmap's
        // count are zero, so a chunk's words shift in whole.
        var pending = pendingBits[index], shift = written % 64
        for (position, word) in bits.words.enumerated() {
            let taken = min(64, count - position * 64)
            let filled = pending | word << UInt64(shift)
            if shift + taken >= 64 {
                words.append(filled.littleEndian)
                pending = shift == 0 ? 0 : word >> UInt64(64 - shift)
                shift += taken - 64
            } else {
                pending = filled
                shift += taken
            }
        }
        pendingBits[index] = pending
        try words.withUnsafeBytes { try put($0, at: validityOffset(index) + written / 64 * 8) }
    }

    private func validityOffset(_ column: Int) -> Int { layout.offsets[layout.columnBuffers[column].last!] }

    /// Writes all of `bytes` at `offset`.
    private func put(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let count = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.failure("cannot write", url)
            }
            done += count
        }
    }

    private static func failure(_ what: String, _ url: URL) -> BinaryTableFormat.FormatError {
        BinaryTableFormat.FormatError(message: "\(what) \(url.path): \(String(cString: strerror(errno)))")
    }

    private static func layout(rows: Int, columns: [ColumnSpec]) throws -> BinaryTableFormat.Layout {
        let plans = try columns.map { spec -> BinaryTableFormat.Layout.ColumnPlan in
            func buffer(_ count: Int) -> BinaryTableFormat.Layout.Buffer { .init(count: count) { _ in } }
            var buffers: [BinaryTableFormat.Layout.Buffer]
            switch spec.type {
            case .int64, .double: buffers = [buffer(rows * 8)]
            case .bool: buffers = [buffer(rows)]
            case .category:
                guard let dictionary = spec.dictionary else {
                    throw BinaryTableFormat.FormatError(message: "category column '\(spec.name)' needs its dictionary before its rows")
                }
                buffers = [buffer(rows * 4), buffer(dictionary.offsets.count * 8), buffer(dictionary.bytes.count)]
            case .string:
                throw BinaryTableFormat.FormatError(message: "string column '\(spec.name)' cannot be streamed: its length is not known before its rows")
            }
            if spec.hasValidity { buffers.append(buffer((rows + 63) / 64 * 8)) }
            return .init(name: spec.name, type: spec.type, hasValidity: spec.hasValidity, buffers: buffers)
        }
        return BinaryTableFormat.Layout(rows: rows, columns: plans)
    }
}
