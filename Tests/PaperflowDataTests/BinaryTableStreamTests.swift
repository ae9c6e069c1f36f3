import Foundation
import PaperflowData
import Testing

@Suite("A table streamed to its file chunk by chunk")
struct BinaryTableStreamTests {
    /// A folder of the test's own, removed afterwards.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-stream-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }

    /// `rows` rows of every fixed-width type, a density-like column with missing rows among them.
    static func table(rows: Int, seed: UInt64, missing: Bool) throws -> Table {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        let levels = ["A", "北京", "0101", "", "z"]
        return try Table([
            ("year", Column(storage: .int64((0..<rows).map { 2000 + Int64($0 / 97) }))),
            ("firm", Column(storage: .category(codes: (0..<rows).map { _ in Int32(next() % 5) }, dictionary: StringStorage(levels)))),
            ("presence", Column(storage: .bool((0..<rows).map { _ in next() % 3 == 0 }))),
            ("density", Column(double: (0..<rows).map { _ in missing && next() % 7 == 0 ? .nan : Double(next()) / 1e9 }, nanAsMissing: true)),
        ])
    }

    static func specs(_ table: Table) -> [BinaryTableStream.ColumnSpec] {
        zip(table.names, table.columns).map { name, column in
            var dictionary: StringStorage?
            if case let .category(_, levels) = column.storage { dictionary = levels }
            return .init(name: name, type: column.type, hasValidity: column.validity != nil, dictionary: dictionary)
        }
    }

    @Test("chunks of any size, across validity words, give the bytes of the whole table written at once", arguments: [
        (1_000, true, [1_000]), (1_000, true, [1, 63, 64, 65, 0, 127, 680]), (1_000, false, [333, 333, 334]),
        (640, true, [64, 64, 512]), (0, false, [0]), (130, true, [7, 3, 120]),
    ])
    func sameBytes(rows: Int, missing: Bool, chunks: [Int]) throws {
        let table = try Self.table(rows: rows, seed: UInt64(rows + chunks.count), missing: missing)
        #expect((table["density"]!.validity != nil) == (missing && rows > 0))
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.pftable")
        let stream = try BinaryTableStream(url: url, rows: rows, columns: Self.specs(table))
        var start = 0
        for count in chunks {
            try stream.append(table.take(Array(start..<(start + count))))
            start += count
        }
        try stream.finish()
        let bytes = BinaryTableFormat.encode(table)
        #expect(Array(try Data(contentsOf: url)) == bytes)
        #expect(stream.size == bytes.count)
        #expect(try BinaryTableFormat.read(contentsOf: url) == table)
    }

    @Test("a stream that does not keep to its declaration fails, naming what differs")
    func refusals() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let table = try Self.table(rows: 100, seed: 7, missing: true)
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch let error as BinaryTableFormat.FormatError { return error.message } catch { return "\(error)" }
            return "no error"
        }
        var specs = Self.specs(table)
        // Missing rows the header did not declare.
        specs[3].hasValidity = false
        #expect(message {
            try BinaryTableStream(url: folder.appendingPathComponent("a"), rows: 100, columns: specs).append(table)
        } == "column 'density' has a missing row, and the table was declared without missing rows")
        // Declared missing rows that never came: the whole-table writer would have written no validity.
        let full = try Self.table(rows: 100, seed: 7, missing: false)
        #expect(message {
            let stream = try BinaryTableStream(url: folder.appendingPathComponent("b"), rows: 100, columns: Self.specs(table))
            try stream.append(full)
            try stream.finish()
        } == "column 'density' was declared with missing rows and has none")
        #expect(message {
            let stream = try BinaryTableStream(url: folder.appendingPathComponent("c"), rows: 101, columns: Self.specs(table))
            try stream.append(table)
            try stream.finish()
        } == "100 rows written to a table declared with 101")
        #expect(message {
            try BinaryTableStream(url: folder.appendingPathComponent("d"), rows: 99, columns: Self.specs(table)).append(table)
        } == "100 rows written to a table declared with 99")
        #expect(message {
            _ = try BinaryTableStream(url: folder.appendingPathComponent("e"), rows: 1, columns: [.init(name: "s", type: .string)])
        } == "string column 's' cannot be streamed: its length is not known before its rows")
        #expect(message {
            _ = try BinaryTableStream(url: folder.appendingPathComponent("f"), rows: 1, columns: [.init(name: "c", type: .category)])
        } == "category column 'c' needs its dictionary before its rows")
        var other = Self.specs(table)
        other[1].dictionary = StringStorage(["A"])
        #expect(message {
            try BinaryTableStream(url: folder.appendingPathComponent("g"), rows: 100, columns: other).append(table)
        } == "a chunk's column 'firm' has another dictionary than the table's")
        // An existing file is not overwritten.
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("h").path, contents: Data("x".utf8))
        #expect(message {
            _ = try BinaryTableStream(url: folder.appendingPathComponent("h"), rows: 1, columns: [.init(name: "x", type: .int64)])
        }.hasPrefix("cannot create \(folder.appendingPathComponent("h").path): File exists"))
        #expect(try Data(contentsOf: folder.appendingPathComponent("h")) == Data("x".utf8))
    }

    @Test("a table larger than the disk's free room is refused before a byte is written, with both sizes")
    func tooLargeForTheDisk() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 2^39 rows of 8 bytes: 4 TiB, more than any disk these tests run on has free.
        let url = folder.appendingPathComponent("huge.pftable")
        var failure = ""
        do { _ = try BinaryTableStream(url: url, rows: 1 << 39, columns: [.init(name: "x", type: .double)]) } catch let error as BinaryTableFormat.FormatError {
            failure = error.message
        }
        #expect(failure.hasPrefix("this table of 549755813888 rows takes 4096.0 GiB, and the disk of \(folder.path) has "), "\(failure)")
        #expect(failure.hasSuffix(" GiB free"))
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
