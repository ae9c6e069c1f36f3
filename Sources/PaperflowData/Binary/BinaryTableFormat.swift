import Foundation

/// Paperflow's binary table format (`.pftable`): what table artifacts are stored as, so a stage
/// reads its input without parsing text.
///
/// Layout, all integers little-endian:
/// ```
/// magic        8 bytes  "PFTABLE1"
/// header size  UInt64   length of the JSON header that follows
/// header       JSON     {"rows": N, "columns": [{"name", "type", "hasValidity", "buffers": [[offset, length], ...]}]}
///                       keys sorted, no spaces (deterministic)
/// padding      zeros up to a multiple of 64
/// buffers      each starts at a multiple of 64 (offsets count from the file start), zero-padded:
///                int64/double: N × 8 bytes; bool: N bytes (0/1);
///                string: (N+1) × Int64 offsets, then the UTF-8 bytes;
///                category: N × Int32 codes, (D+1) × Int64 offsets, dictionary bytes;
///                validity (when present): ceil(N/64) × UInt64 words, bit set = present
/// ```
/// Every buffer is contiguous and aligned, so a reader can use it in place from a memory-mapped
/// file — `read(contentsOf:)` does, for Int64, Double and category codes. Identical tables give identical bytes (missing rows hold zeros), so content hashes are
/// stable across runs and machines.
public enum BinaryTableFormat {
    static let magic = Array("PFTABLE1".utf8)
    static let alignment = 64

    /// Errors reading a file that is not a valid table.
    public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { "not a Paperflow table: \(message)" }
    }

    /// Whether `bytes` start as a table file does (the magic), so a reader can tell tables from other artifacts.
    public static func isTable(_ bytes: Data) -> Bool {
        bytes.count >= magic.count && bytes.prefix(magic.count).elementsEqual(magic)
    }

    /// The bytes of `table`.
    public static func encode(_ table: Table) -> [UInt8] {
        let layout = Layout(table)
        return [UInt8](unsafeUninitializedCapacity: layout.size) { buffer, count in
            layout.write(into: UnsafeMutableRawBufferPointer(buffer))
            count = layout.size
        }
    }

    /// The bytes of `table` as `Data`, written once into their final place: a firm panel's
    /// output is hundreds of megabytes, so no column is copied into an intermediate buffer.
    public static func data(_ table: Table) -> Data {
        let layout = Layout(table)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(layout.size, 1), alignment: alignment)
        layout.write(into: memory)
        return Data(bytesNoCopy: memory.baseAddress!, count: layout.size, deallocator: .custom { pointer, _ in pointer.deallocate() })
    }

    /// Writes the bytes of `table` to a new file at `url`, one buffer at a time: a table of
    /// hundreds of megabytes is never held twice in memory.
    /// - Throws: `FormatError` when the file cannot be created or written.
    public static func write(_ table: Table, to url: URL) throws {
        let layout = Layout(table)
        guard let file = fopen(url.path, "wbx") else { throw FormatError(message: "cannot create \(url.path): \(String(cString: strerror(errno)))") }
        var failed = false
        func put(_ bytes: UnsafeRawBufferPointer) {
            if !failed, bytes.count > 0, fwrite(bytes.baseAddress!, 1, bytes.count, file) != bytes.count { failed = true }
        }
        let preamble = layout.offsets.first ?? layout.size
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: preamble, alignment: alignment)
        layout.writePreamble(into: head)
        put(UnsafeRawBufferPointer(head))
        head.deallocate()
        for (index, buffer) in layout.buffers.enumerated() {
            let end = index + 1 < layout.offsets.count ? layout.offsets[index + 1] : layout.size
            let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: end - layout.offsets[index], alignment: alignment)
            if buffer.count > 0 { buffer.write(memory.baseAddress!) }
            memory[buffer.count...].initializeMemory(as: UInt8.self, repeating: 0)
            put(UnsafeRawBufferPointer(memory))
            memory.deallocate()
        }
        if fclose(file) != 0 { failed = true }
        if failed { throw FormatError(message: "cannot write \(url.path): \(String(cString: strerror(errno)))") }
    }

    /// Where every buffer of a table goes, and how to copy it there.
    struct Layout {
        /// One buffer: its length in bytes and how to write it at a given address.
        struct Buffer {
            var count: Int
            var write: (UnsafeMutableRawPointer) -> Void
        }

        /// A column as the header describes it, with its buffers in file order.
        struct ColumnPlan {
            var name: String
            var type: DataType
            var hasValidity: Bool
            var buffers: [Buffer]
        }

        var buffers: [Buffer] = []
        var header: [UInt8] = []
        var offsets: [Int] = []
        var size = 0
        /// For each column, the indices of its buffers in `buffers`.
        var columnBuffers: [[Int]] = []

        init(_ table: Table) {
            var plans: [ColumnPlan] = []
            for (name, column) in zip(table.names, table.columns) {
                var buffers: [Buffer] = []
                func add(_ count: Int, _ write: @escaping (UnsafeMutableRawPointer) -> Void) {
                    buffers.append(Buffer(count: count, write: write))
                }
                func add<T>(_ values: ColumnBuffer<T>) {
                    add(values.count * MemoryLayout<T>.stride) { target in values.withUnsafeBufferPointer { target.copyMemory(from: $0.baseAddress!, byteCount: $0.count * MemoryLayout<T>.stride) } }
                }
                func add<T>(_ values: [T]) {
                    add(values.count * MemoryLayout<T>.stride) { target in values.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
                }
                switch column.storage {
                case let .int64(values): add(values)
                case let .double(values):
                    add(values.count * 8) { target in
                        // Missing rows hold +0.0, whatever the builder left there, for stable bytes.
                        let out = target.bindMemory(to: UInt64.self, capacity: values.count)
                        for row in 0..<values.count { out[row] = column.isMissing(row) ? 0 : values[row].bitPattern }
                    }
                case let .bool(values):
                    add(values.count) { target in
                        for row in 0..<values.count { target.storeBytes(of: values[row] ? 1 : 0, toByteOffset: row, as: UInt8.self) }
                    }
                case let .string(storage): add(storage.offsets); add(storage.bytes)
                case let .category(codes, dictionary): add(codes); add(dictionary.offsets); add(dictionary.bytes)
                }
                if let validity = column.validity { add(validity.words) }
                plans.append(ColumnPlan(name: name, type: column.type, hasValidity: column.validity != nil, buffers: buffers))
            }
            self.init(rows: table.rowCount, columns: plans)
        }

        /// The layout of `rows` rows of `columns`, whose buffers have the given lengths.
        init(rows: Int, columns: [ColumnPlan]) {
            for column in columns {
                columnBuffers.append(Array(buffers.count..<(buffers.count + column.buffers.count)))
                buffers += column.buffers
            }
            let columnBuffers = columnBuffers
            func describe(_ offsets: [Int]) -> [UInt8] {
                let described = zip(columns, columnBuffers).map { column, indices in
                    let spans = indices.map { "[\(offsets[$0]),\(buffers[$0].count)]" }.joined(separator: ",")
                    return "{\"buffers\":[\(spans)],\"hasValidity\":\(column.hasValidity),\"name\":\(jsonString(column.name)),\"type\":\"\(column.type.rawValue)\"}"
                }
                return Array("{\"columns\":[\(described.joined(separator: ","))],\"rows\":\(rows)}".utf8)
            }
            // The header's size fixes where the buffers start, and the offsets fix the header's
            // size: iterate until the two agree (offsets only grow, so this settles in a few rounds).
            offsets = [Int](repeating: 0, count: buffers.count)
            header = describe(offsets)
            while true {
                var offset = align(16 + header.count)
                for index in buffers.indices {
                    offsets[index] = offset
                    offset = align(offset + buffers[index].count)
                }
                size = offset
                let next = describe(offsets)
                defer { header = next }
                if next.count == header.count { break }
            }
        }

        /// Writes magic, header size, header and padding: the bytes before the first buffer
        /// (`memory` holds at least that many).
        func writePreamble(into memory: UnsafeMutableRawBufferPointer) {
            let base = memory.baseAddress!
            base.copyMemory(from: magic, byteCount: magic.count)
            base.storeBytes(of: UInt64(header.count).littleEndian, toByteOffset: 8, as: UInt64.self)
            (base + 16).copyMemory(from: header, byteCount: header.count)
            (base + 16 + header.count).initializeMemory(as: UInt8.self, repeating: 0, count: (offsets.first ?? size) - 16 - header.count)
        }

        /// Writes the file's bytes into `memory` (`size` bytes), padding zeroed.
        func write(into memory: UnsafeMutableRawBufferPointer) {
            let base = memory.baseAddress!
            var end = 0
            func fill(to offset: Int) {
                (base + end).initializeMemory(as: UInt8.self, repeating: 0, count: offset - end)
                end = offset
            }
            writePreamble(into: memory)
            end = offsets.first ?? size
            for (buffer, offset) in zip(buffers, offsets) {
                fill(to: offset)
                if buffer.count > 0 { buffer.write(base + offset) }
                end = offset + buffer.count
            }
            fill(to: size)
        }
    }

    /// Reads the table file at `url`, mapped into memory rather than read into a buffer: its
    /// Int64, Double and category-code buffers become the table's columns where they lie, and the
    /// file stays mapped while any of them is in use. The file must therefore not be rewritten
    /// in place or truncated meanwhile (replacing it by rename, as the store does, is safe, and
    /// the store's blobs are never modified).
    /// - Throws: `FormatError` for a file that cannot be read or is not a complete table.
    public static func read(contentsOf url: URL) throws -> Table {
        let file: MappedFile
        do {
            file = try MappedFile(path: url.path)
        } catch let error as MappedFile.OpenError {
            throw FormatError(message: error.reason)
        }
        return try decode(file.bytes, mapped: file)
    }

    /// Reads a table from its bytes.
    /// - Throws: `FormatError` for anything that is not a complete, consistent table file.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Table {
        try decode(bytes, mapped: nil)
    }

    /// Reads a table from its bytes; the pages of a mapped file's buffers are given back once
    /// copied, so the file and the table are not both resident at the peak.
    private static func decode(_ bytes: UnsafeRawBufferPointer, mapped: MappedFile?) throws -> Table {
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw FormatError(message: "missing the PFTABLE1 magic") }
        let declaredSize = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        guard declaredSize <= UInt64(bytes.count - 16) else { throw FormatError(message: "header runs past the end") }
        let headerSize = Int(declaredSize)
        struct Header: Decodable {
            struct ColumnHeader: Decodable {
                var name: String
                var type: DataType
                var hasValidity: Bool
                var buffers: [[Int]]
            }
            var rows: Int
            var columns: [ColumnHeader]
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + headerSize)]))
        } catch {
            throw FormatError(message: "unreadable header: \(error)")
        }
        let rows = header.rows
        // Buffer sizes are computed from the row count: keep them far from overflowing.
        guard rows >= 0, rows < 1 << 40 else { throw FormatError(message: "the row count \(rows) is out of range") }
        func buffer(_ spec: [Int], expected: Int?) throws -> UnsafeRawBufferPointer {
            guard spec.count == 2, spec[0] >= 0, spec[1] >= 0, spec[0] <= bytes.count, spec[1] <= bytes.count - spec[0] else {
                throw FormatError(message: "a buffer lies outside the file")
            }
            if let expected, spec[1] != expected { throw FormatError(message: "a buffer has \(spec[1]) bytes, expected \(expected)") }
            return UnsafeRawBufferPointer(rebasing: bytes[spec[0]..<(spec[0] + spec[1])])
        }
        // Fixed-width buffers of a mapped file are used where they lie (zero-copy: no copy, no
        // fresh pages); the rest is copied, one contiguous copy per buffer, columns in parallel.
        // The buffers are little-endian, as the machines Paperflow runs on.
        func decodeColumn(_ column: Header.ColumnHeader) throws -> (Column, copied: [Range<Int>]) {
            var specs = column.buffers[...]
            var copied: [Range<Int>] = []
            func next(_ expected: Int?) throws -> UnsafeRawBufferPointer {
                guard let spec = specs.popFirst() else { throw FormatError(message: "column '\(column.name)' lacks a buffer") }
                return try buffer(spec, expected: expected)
            }
            func offset(_ raw: UnsafeRawBufferPointer) -> Int {
                raw.baseAddress.map { $0 - bytes.baseAddress! } ?? 0
            }
            func array<T>(_ raw: UnsafeRawBufferPointer, _: T.Type) -> [T] {
                let count = raw.count / MemoryLayout<T>.stride
                copied.append(offset(raw)..<(offset(raw) + raw.count))
                return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                    PageAdvice.populate(UnsafeMutableRawBufferPointer(buffer))
                    if count > 0 { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: count * MemoryLayout<T>.stride) }
                    initialized = count
                }
            }
            func values<T>(_ raw: UnsafeRawBufferPointer, _: T.Type) -> ColumnBuffer<T> {
                let count = raw.count / MemoryLayout<T>.stride
                if let mapped, offset(raw) % MemoryLayout<T>.alignment == 0 {
                    return ColumnBuffer(mapping: mapped, offset: offset(raw), count: count)
                }
                return ColumnBuffer(array(raw, T.self))
            }
            let storage: Column.Storage
            switch column.type {
            case .int64: storage = .int64(values(try next(rows * 8), Int64.self))
            case .double: storage = .double(values(try next(rows * 8), Double.self))
            case .bool: storage = .bool(try next(rows).map { $0 != 0 })
            case .string:
                let offsets = array(try next((rows + 1) * 8), Int64.self)
                let data = array(try next(nil), UInt8.self)
                guard offsets.first == 0, offsets.last.map({ Int($0) == data.count }) ?? false, Self.rising(offsets) else {
                    throw FormatError(message: "string offsets do not match")
                }
                storage = .string(StringStorage(offsets: offsets, bytes: data))
            case .category:
                let codes = values(try next(rows * 4), Int32.self)
                let offsets = array(try next(nil), Int64.self)
                let data = array(try next(nil), UInt8.self)
                guard offsets.first == 0, offsets.last.map({ Int($0) == data.count }) ?? false, Self.rising(offsets),
                      Self.within(codes, Int32(clamping: max(offsets.count - 1, 1))) else {
                    throw FormatError(message: "category codes or dictionary do not match")
                }
                storage = .category(codes: codes, dictionary: StringStorage(offsets: offsets, bytes: data))
            }
            var validity: Bitmap?
            if column.hasValidity {
                validity = Bitmap(words: array(try next(((rows + 63) / 64) * 8), UInt64.self), count: rows)
            }
            return (Column(storage: storage, validity: validity), copied)
        }
        var decoded = [Result<Column, Error>?](repeating: nil, count: header.columns.count)
        decoded.withUnsafeMutableBufferPointer { decoded in
            Parallel.forEach(header.columns.count) { index in
                do {
                    let (column, copied) = try decodeColumn(header.columns[index])
                    decoded[index] = .success(column)
                    // Copied buffers' pages are not needed any more; mapped columns keep theirs.
                    for range in copied { mapped?.release(range) }
                } catch {
                    decoded[index] = .failure(error)
                }
            }
        }
        var pairs: [(String, Column)] = []
        for (column, result) in zip(header.columns, decoded) { pairs.append((column.name, try result!.get())) }
        do {
            return try Table(pairs)
        } catch {
            throw FormatError(message: "\(error)")
        }
    }

    /// Whether offsets never fall (branch-free, so the loop vectorises).
    static func rising(_ offsets: [Int64]) -> Bool {
        offsets.withUnsafeBufferPointer { offsets in
            var falls: UInt8 = 0
            for index in offsets.indices.dropFirst() { falls |= offsets[index] < offsets[index - 1] ? 1 : 0 }
            return falls == 0
        }
    }

    /// Whether every code is in `0..<limit` (branch-free, so the loop vectorises).
    static func within(_ codes: ColumnBuffer<Int32>, _ limit: Int32) -> Bool {
        codes.withUnsafeBufferPointer { codes in
            var outside: UInt8 = 0
            for code in codes { outside |= UInt32(bitPattern: code) >= UInt32(bitPattern: limit) ? 1 : 0 }
            return outside == 0
        }
    }

    static func align(_ offset: Int) -> Int { (offset + alignment - 1) / alignment * alignment }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
