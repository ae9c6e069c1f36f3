import Crypto
import Foundation
@testable import PaperflowData
import PaperflowTestSupport
import Testing

/// io.parquet's reader on files pyarrow, polars and DuckDB wrote (`Tests/Fixtures/parquet/make_fixtures.py`):
/// every value equal to what pyarrow reads back (integers exactly, doubles bit for bit, text byte
/// for byte), across every codec, encoding and page version those tools write; damaged files
/// refused with the file and what is wrong, never a crash.
@Suite("Parquet reader")
struct ParquetReaderTests {
    enum Cell: Decodable, Equatable, CustomStringConvertible {
        case integer(Int64)
        case number(Double)
        case bool(Bool)
        case text(String)

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
            else if let integer = try? container.decode(Int64.self) { self = .integer(integer) }
            else if let number = try? container.decode(Double.self) { self = .number(number) }
            else { self = .text(try container.decode(String.self)) }
        }

        var description: String {
            switch self {
            case let .integer(v): return "\(v)"
            case let .number(v): return "\(v)"
            case let .bool(v): return "\(v)"
            case let .text(v): return "\"\(v)\""
            }
        }

        /// Whether a table value is this cell: integers exactly, numbers as the same double.
        func matches(_ value: Value) -> Bool {
            switch (self, value) {
            case let (.integer(a), .int64(b)): return a == b
            case let (.integer(a), .double(b)): return Double(a) == b
            case let (.number(a), .double(b)): return a == b
            case let (.bool(a), .bool(b)): return a == b
            case let (.text(a), .string(b)): return a == b
            default: return false
            }
        }
    }

    struct Expected: Decodable {
        var rows: Int
        var row_groups: Int
        var columns: [String: [Cell?]]?
        var sha256: [String: String]?
    }

    static func expected() throws -> [String: Expected] {
        try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: Fixtures.url("parquet/expected.json")))
    }

    static func read(_ file: String, _ options: ParquetOptions = ParquetOptions()) throws -> (Table, ParquetReport) {
        try ParquetReader.read(contentsOf: Fixtures.url("parquet/\(file)"), displayPath: file, options: options)
    }

    static func expectEqual(_ table: Table, _ expected: [String: [Cell?]], file: String) throws {
        #expect(Set(table.names) == Set(expected.keys), "\(file): \(table.names)")
        for (name, values) in expected {
            let column = try #require(table[name])
            #expect(column.count == values.count, "\(file) \(name)")
            for (row, want) in values.enumerated() where row < column.count {
                let got = column[row]
                let same = want.map { $0.matches(got) } ?? (got == .missing)
                #expect(same, "\(file) \(name) row \(row + 1): \(got) vs pyarrow \(want?.description ?? "null")")
            }
        }
    }

    @Test("files from pyarrow (every codec, encoding and page version), polars and DuckDB: every value as pyarrow reads it",
          arguments: ["pyarrow_none.parquet", "pyarrow_snappy.parquet", "pyarrow_gzip.parquet", "pyarrow_zstd.parquet",
                      "pyarrow_zstd19.parquet", "pyarrow_zstd_fast.parquet", "pyarrow_v2.parquet", "pyarrow_plain.parquet",
                      "pyarrow_delta.parquet", "polars.parquet", "duckdb.parquet"])
    func referenceFiles(file: String) throws {
        let expected = try #require(try Self.expected()[file])
        let (table, report) = try Self.read(file)
        #expect(table.rowCount == expected.rows)
        #expect(report.rowGroups == expected.row_groups && report.rowGroupsRead == expected.row_groups)
        try Self.expectEqual(table, try #require(expected.columns), file: file)
        // Types as documented: integers int64, unsigned 64-bit beyond Int64 double, dates text.
        let types = Dictionary(uniqueKeysWithValues: table.names.map { ($0, table[$0]!.type) })
        #expect(types["firm"] == .int64 && types["small"] == .int64 && types["unsigned"] == .int64 && types["big"] == .int64)
        #expect(types["huge"] == .double && types["value"] == .double && types["price"] == .double && types["flag"] == .bool)
        #expect(types["day"] == .string && types["stamp"] == .string)
        let share = try #require(report.columns.first { $0.name == "share" })
        #expect(share.nanAsMissing == 1 && share.missing == 0)
        #expect(report.columns.first { $0.name == "count" }?.missing == 4)
        // A column the writer dictionary-encoded throughout is a category; a plain one is text.
        let region = try #require(report.columns.first { $0.name == "region" })
        #expect((types["region"] == .category) == (region.encodings.allSatisfy { $0.contains("DICTIONARY") || $0 == "RLE" } && region.encodings.contains { $0.contains("DICTIONARY") }),
                "\(file): region \(types["region"]!) with \(region.encodings)")
    }

    @Test("zstd pages above one 128 KiB block (repeat offsets, reused tables across blocks): values hash as pyarrow's")
    func multiBlockZstd() throws {
        let expected = try #require(try Self.expected()["pyarrow_large_zstd.parquet"])
        let (table, report) = try Self.read("pyarrow_large_zstd.parquet")
        #expect(table.rowCount == expected.rows && report.rowGroups == 2)
        for (name, digest) in try #require(expected.sha256) {
            let column = try #require(table[name])
            let text = (0..<column.count).map { column[$0].description }.joined(separator: "\n")
            let got = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
            #expect(got == digest, "\(name)")
        }
    }

    @Test("columns: picks and orders; an unknown column names the file and lists the columns")
    func columnSelection() throws {
        var options = ParquetOptions()
        options.columns = ["code", "firm"]
        let (table, _) = try Self.read("pyarrow_snappy.parquet", options)
        #expect(table.names == ["code", "firm"])
        options.columns = ["firm", "citty"]
        #expect {
            _ = try Self.read("pyarrow_snappy.parquet", options)
        } throws: { error in
            "\(error)".hasPrefix("pyarrow_snappy.parquet: has no column 'citty'; its columns are firm, year, small,")
        }
    }

    @Test("filter: row groups ruled out by their statistics are not read; the rows are those the filter keeps")
    func filterPushdown() throws {
        let expected = try #require(try Self.expected()["pyarrow_snappy.parquet"]?.columns)
        var options = ParquetOptions()
        options.filter = "firm > 20"
        var (table, report) = try Self.read("pyarrow_snappy.parquet", options)
        #expect(report.rowGroups == 3 && report.rowGroupsRead == 1)
        #expect(table.rowCount == 3 && table["firm"]![0] == .int64(21))
        options.filter = "code == \"0101\" & year >= 2002"
        options.columns = ["firm"]
        (table, report) = try Self.read("pyarrow_snappy.parquet", options)
        let want = expected["firm"]!.indices.filter { row in
            guard expected["code"]![row] == .text("0101"), case let .integer(year)? = expected["year"]![row] else { return false }
            return year >= 2002
        }
        #expect(table.names == ["firm"])
        #expect((0..<table.rowCount).map { table["firm"]![$0] } == want.map { .int64(Int64($0 + 1)) })
        // Text statistics rule out groups too: no code sorts after "9999".
        options.filter = "code > \"9999\""
        (table, report) = try Self.read("pyarrow_snappy.parquet", options)
        #expect(report.rowGroupsRead == 0 && table.rowCount == 0)
    }

    @Test("dates: number keeps DATE as days and TIMESTAMP as microseconds from 1970")
    func datesAsNumbers() throws {
        var options = ParquetOptions()
        options.datesAsText = false
        let (table, _) = try Self.read("pyarrow_zstd.parquet", options)
        #expect(table["day"]![0] == .int64(10_956))
        #expect(table["stamp"]![0] == .int64(1_233_405_015_250_000))
    }

    @Test("damaged and unsupported files are errors naming the file and what is wrong",
          arguments: [
              ("bad_cut.parquet", "bad_cut.parquet: does not end with PAR1: the file is cut or still being written"),
              ("bad_magic.parquet", "bad_magic.parquet: is not a Parquet file (it does not start with PAR1)"),
              ("bad_nested.parquet", "bad_nested.parquet: column 'products' is a list (a nested type); only flat columns can be read — flatten it before writing (pandas: explode or json-encode it)"),
              ("bad_lz4.parquet", "bad_lz4.parquet: column 'firm', row group 1: its pages are compressed with LZ4_RAW, which io.parquet does not read; rewrite the file with snappy, zstd, gzip or no compression (pyarrow: pq.write_table(t, path, compression=\"zstd\"))"),
          ])
    func malformed(file: String, message: String) throws {
        #expect {
            _ = try Self.read(file)
        } throws: { error in
            "\(error)" == message
        }
    }

    @Test("single-byte corruptions of snappy, zstd and gzip files (every 7th byte; PAPERFLOW_CORRUPTION_STRIDE=1 for all) are clean errors or reads, never a crash",
          arguments: [("pyarrow_snappy.parquet", 7), ("pyarrow_zstd.parquet", 7), ("pyarrow_gzip.parquet", 7), ("pyarrow_delta.parquet", 7),
                      ("polars.parquet", 7), ("duckdb.parquet", 7), ("pyarrow_large_zstd.parquet", 211)])
    func corruption(file: String, stride step: Int) throws {
        let original = try [UInt8](Data(contentsOf: Fixtures.url("parquet/\(file)")))
        var errors = 0
        for position in stride(from: 4, to: original.count - 8, by: ProcessInfo.processInfo.environment["PAPERFLOW_CORRUPTION_STRIDE"].flatMap { Int($0) } ?? step) {
            for flip: UInt8 in [0xFF, 0x01] {
                var bytes = original
                bytes[position] ^= flip
                do {
                    _ = try bytes.withUnsafeBufferPointer { try ParquetReader.read($0, displayPath: file, options: ParquetOptions()) }
                } catch is ParquetError {
                    errors += 1
                }
            }
        }
        #expect(errors > 0)
    }
}
