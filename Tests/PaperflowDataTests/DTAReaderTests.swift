import Foundation
import PaperflowData
import PaperflowTestSupport
import Testing

/// io.dta's reader on files pandas and pyreadstat wrote (`Tests/Fixtures/stata/make_fixtures.py`):
/// every value equal to what pandas.read_stata reads back, exactly (the same binary doubles);
/// extended missing values counted by code as pyreadstat reports them; damaged files refused
/// with the file, the byte offset and what is wrong.
@Suite("Stata .dta reader")
struct DTAReaderTests {
    struct Expected: Decodable {
        var columns: [String: [Cell?]]
        var labels: [String: String?]
        var formats: [String: String]
    }

    enum Cell: Decodable, Equatable {
        case number(Double)
        case text(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
        }
    }

    static func expected() throws -> [String: Expected] {
        try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: Fixtures.url("stata/expected.json")))
    }

    @Test("formats 114, 117, 118 and 119 from pandas: every value as pandas reads it back, labels and formats in the report",
          arguments: ["pandas_114.dta", "pandas_117.dta", "pandas_118.dta", "pandas_119.dta", "pandas_118_utf8.dta"])
    func pandasFiles(file: String) throws {
        let expected = try #require(try Self.expected()[file])
        let (table, report) = try DTAReader.read(contentsOf: Fixtures.url("stata/\(file)"), displayPath: file)
        #expect(report.release == Int(file.dropFirst("pandas_".count).prefix(3)))
        #expect(Set(table.names) == Set(expected.columns.keys), "\(table.names)")
        for (name, values) in expected.columns {
            let column = try #require(table[name])
            #expect(column.count == values.count)
            for (row, want) in values.enumerated() {
                let got: Cell? = column.isMissing(row) ? nil : {
                    switch column[row] {
                    case let .int64(v): return .number(Double(v))
                    case let .double(v): return .number(v)
                    case let .string(v): return .text(v)
                    default: return nil
                    }
                }()
                #expect(got == want, "\(file) \(name) row \(row + 1): \(String(describing: got)) vs pandas \(String(describing: want))")
            }
        }
        for column in report.columns {
            #expect(column.format == expected.formats[column.name], "\(file) \(column.name)")
            #expect(column.label == ((expected.labels[column.name] ?? nil) ?? ""), "\(file) \(column.name)")
        }
        if file != "pandas_118_utf8.dta" {
            #expect(table["region"]?.type == .category)
            #expect(report.columns.first { $0.name == "value" }?.missing == [".": 1])
            #expect(report.columns.first { $0.name == "code" }?.stataType == (file == "pandas_114.dta" ? "str4" : "strL"))
        }
    }

    @Test("value_labels: codes and dates: number keep what Stata stores")
    func rawValues() throws {
        var options = DTAOptions()
        options.valueLabels = false
        options.datesAsText = false
        let (table, _) = try DTAReader.read(contentsOf: Fixtures.url("stata/pandas_118.dta"), displayPath: "pandas_118.dta", options: options)
        #expect(table["region"]?.type == .int64)
        // 2009-01-31 is day 17928 of Stata's calendar; 1959-12-31 is day −1 (pandas stores them as doubles).
        #expect(table["day"]?[0] == .double(17928) && table["day"]?[2] == .double(-1))
        #expect(table["stamp"]?[1] == .double(0))
    }

    @Test("extended missing values .a, .b, .z are missing and counted by code, as pyreadstat reads them")
    func extendedMissing() throws {
        let expected = try #require(try Self.expected()["pyreadstat_missing.dta"])
        let (table, report) = try DTAReader.read(contentsOf: Fixtures.url("stata/pyreadstat_missing.dta"), displayPath: "m.dta")
        for (name, values) in expected.columns {
            let column = try #require(table[name])
            var codes: [String: Int] = [:]
            for (row, want) in values.enumerated() {
                switch want {
                case let .number(v)?: #expect(column[row] == .double(v), "\(name) row \(row + 1)")
                case let .text(code)?: #expect(column.isMissing(row)); codes["." + code, default: 0] += 1
                case nil: #expect(column.isMissing(row)); codes[".", default: 0] += 1
                }
            }
            #expect(report.columns.first { $0.name == name }?.missing == codes, "\(name)")
        }
    }

    @Test("a cut file, a CSV and a Stata 7 file are errors naming the file, the offset and the fix — never a crash")
    func damaged() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-dta-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let whole = try Data(contentsOf: Fixtures.url("stata/pandas_118.dta"))
        var failures: [String] = []
        for cut in stride(from: 1, to: whole.count, by: max(1, whole.count / 97)) {
            try whole.prefix(cut).write(to: folder.appendingPathComponent("cut.dta"))
            do {
                _ = try DTAReader.read(contentsOf: folder.appendingPathComponent("cut.dta"), displayPath: "data/cut.dta")
                failures.append("cut at \(cut) read without error")
            } catch let error as DTAError {
                #expect(error.path == "data/cut.dta" && error.offset != nil)
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        // Any one byte changed anywhere (row counts, map offsets, type codes, lengths): an error
        // or a table, never a trap.
        let originals = [whole, try Data(contentsOf: Fixtures.url("stata/pandas_114.dta"))]
        for original in originals {
            for offset in stride(from: 0, to: original.count, by: 7) {
                for value: UInt8 in [0x00, 0xFF, 0x7F] {
                    var changed = original
                    changed[offset] = value
                    try changed.write(to: folder.appendingPathComponent("changed.dta"))
                    _ = try? DTAReader.read(contentsOf: folder.appendingPathComponent("changed.dta"), displayPath: "changed.dta")
                }
            }
        }
        try Data("firm,value\n1,2\n".utf8).write(to: folder.appendingPathComponent("table.dta"))
        #expect(throws: DTAError(path: "t.dta", offset: 0, message: "is not a Stata .dta file (it starts with neither <stata_dta> nor a format byte 113–115)")) {
            try DTAReader.read(contentsOf: folder.appendingPathComponent("table.dta"), displayPath: "t.dta")
        }
        try Data([105, 2, 1, 0] + [UInt8](repeating: 0, count: 200)).write(to: folder.appendingPathComponent("old.dta"))
        #expect(throws: DTAError(path: "o.dta", offset: 0, message: "is a Stata format 105 file (Stata 7 or older); save it with Stata 8 or later (saveold … , version(13)) to read it")) {
            try DTAReader.read(contentsOf: folder.appendingPathComponent("old.dta"), displayPath: "o.dta")
        }
    }
}
