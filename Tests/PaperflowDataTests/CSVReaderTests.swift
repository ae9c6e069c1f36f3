import Foundation
import PaperflowData
import PaperflowTestSupport
import Testing

@Suite("CSV reader")
struct CSVReaderTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("types are inferred; a leading zero keeps a column as text; NA tokens are missing")
    func inference() throws {
        let (table, report) = try CSVReader.read(text: """
            hs6,firm,year,value,flag,note
            010110,0042,2002,1.5,true,ok
            852520,1043,2003,NA,false,
            271000,2044,2004,3,TRUE,"quoted"
            """)
        #expect(table.names == ["hs6", "firm", "year", "value", "flag", "note"])
        #expect(report.types == ["hs6": .string, "firm": .string, "year": .int64, "value": .double, "flag": .bool, "note": .string])
        #expect(table["hs6"]![0] == .string("010110"))
        #expect(table["firm"]![0] == .string("0042"))
        #expect(table["year"]![2] == .int64(2004))
        #expect(table["value"]![1] == .missing)
        #expect(table["value"]![2] == .double(3))
        #expect(table["flag"]![2] == .bool(true))
        #expect(table["note"]![1] == .missing)
        #expect(table["note"]![2] == .string("quoted"))
        #expect(report.rows == 3)
    }

    @Test("RFC 4180: quoted delimiters, embedded newlines, doubled quotes, CRLF, a BOM")
    func quoting() throws {
        let text = "\u{FEFF}name,comment\r\n\"Suzhou, Jiangsu\",\"said \"\"hi\"\"\r\nthen left\"\r\nNanjing,\"\"\r\n"
        let (table, _) = try CSVReader.read(text: text)
        #expect(table.names == ["name", "comment"])
        #expect(table["name"]![0] == .string("Suzhou, Jiangsu"))
        #expect(table["comment"]![0] == .string("said \"hi\"\r\nthen left"))
        #expect(table["comment"]![1] == .string(""))
        #expect(table.rowCount == 2)
    }

    @Test("a schema overrides inference: codes as strings or categories, ids with zeros as integers")
    func schema() throws {
        var options = CSVOptions()
        options.schema = ["year": .category, "firm": .int64, "hs6": .string]
        options.delimiter = UInt8(ascii: ";")
        let (table, report) = try CSVReader.read(text: "hs6;firm;year\n123456;0042;2002\n654321;7;2002\n", options: options)
        #expect(table["hs6"]![0] == .string("123456"))
        #expect(table["firm"]![0] == .int64(42))
        guard case let .category(codes, dictionary) = table["year"]!.storage else { Issue.record("not a category"); return }
        #expect(codes == [0, 0])
        #expect(dictionary.count == 1)
        #expect(report.types["year"] == .category)
    }

    @Test("a value past the inference sample that outgrows its type widens the column")
    func widening() throws {
        var options = CSVOptions()
        options.inferenceRows = 2
        let (table, report) = try CSVReader.read(text: "a,b,c\n1,1,1\n2,2,2\n3.5,0042,x\n", options: options)
        #expect(report.types == ["a": .double, "b": .string, "c": .string])
        #expect(report.rereads == 3)
        #expect(table["a"]![2] == .double(3.5))
        #expect(table["b"]![2] == .string("0042"))
        #expect(table["b"]![0] == .string("1"))
    }

    @Test("doubles parse exactly, including the fast path's edge cases")
    func doubles() throws {
        let values = ["0.1", "-2.5", "123456789012345", "1.7976931348623157e308", "5e-324", "0.30000000000000004",
                      "1234567890.12345678", "-0", ".5", "7."]
        let (table, _) = try CSVReader.read(text: "x\n" + values.joined(separator: "\n") + "\n")
        for (row, text) in values.enumerated() {
            #expect(table["x"]![row] == .double(Double(text)!), "row \(row): \(text)")
        }
    }

    @Test("malformed files fail at the exact line and column", arguments: [
        ("wrong-field-count.csv", "wrong-field-count.csv:6:6: error: row has 2 fields, the header has 3"),
        ("unterminated-quote.csv", "unterminated-quote.csv:2:6: error: this quote is never closed (the rest of the file was read as one field)"),
        ("bad-value.csv", "bad-value.csv:3:6: error: '200x' in column 'year' is not an integer"),
        ("text-after-quote.csv", "text-after-quote.csv:2:11: error: text after a closing quote"),
        ("bad-after-newline.csv", "bad-after-newline.csv:3:8: error: '20x' in column 'year' is not an integer"),
    ])
    func malformed(file: String, expected: String) throws {
        var options = CSVOptions()
        options.schema = ["year": .int64]
        #expect {
            try CSVReader.read(contentsOf: Fixtures.url("csv/\(file)"), displayPath: file, options: options)
        } throws: { error in
            guard let error = error as? CSVError else { return false }
            return error.description.split(separator: "\n").first.map(String.init) == expected
        }
    }

    @Test("bad_rows: skip leaves malformed rows out and counts them")
    func skipping() throws {
        var options = CSVOptions()
        options.badRows = .skip
        options.schema = ["year": .int64]
        let (table, report) = try CSVReader.read(contentsOf: Fixtures.url("csv/bad-value.csv"), displayPath: "bad-value.csv",
                                                 options: options)
        #expect(table.rowCount == 1)
        #expect(report.skippedRows == 1)
        #expect(report.skippedExamples == ["3:6: '200x' in column 'year' is not an integer"])
        let (short, shortReport) = try CSVReader.read(contentsOf: Fixtures.url("csv/wrong-field-count.csv"),
                                                      displayPath: "wrong-field-count.csv", options: options)
        #expect(short.rowCount == 3)
        #expect(short["city"]![2] == .string("line\nbreak"))
        #expect(shortReport.skippedRows == 1)
    }

    @Test("the UNSD HS tables keep their leading zeros without a schema")
    func hsTables() throws {
        let url = Self.repository.appendingPathComponent("Sources/PaperflowStages/Trade/HS/hs2002_hs2007.csv")
        let (table, report) = try CSVReader.read(contentsOf: url, displayPath: "hs2002_hs2007.csv")
        #expect(table.rowCount == 5664)
        #expect(report.types["hs2002"] == .string)
        #expect(report.types["hs2007"] == .string)
        #expect(table["hs2002"]![0] == .string("010110"))
        let split = (0..<table.rowCount).filter { table["hs2002"]![$0] == .string("852520") }
        #expect(split.map { table["hs2007"]![$0] } == [.string("851712"), .string("851761"), .string("851762"), .string("852560")])
        let codes = try CSVReader.read(contentsOf: Self.repository.appendingPathComponent("Sources/PaperflowStages/Trade/HS/hs2007_codes.csv"),
                                       displayPath: "hs2007_codes.csv").0
        #expect(codes["code"]![0] == .string("01"))
        #expect(codes["description"]![1] == .string("Horses, asses, mules and hinnies; live"))
    }

    @Test("the China statistics keep their Chinese text")
    func chinaTables() throws {
        let url = Self.repository.appendingPathComponent("Workflows/data/china/RDIntense.csv")
        let (table, report) = try CSVReader.read(contentsOf: url, displayPath: "RDIntense.csv")
        #expect(table.rowCount == 832)
        #expect(report.types["value"] == .double)
        #expect(table["province"]![0] == .string("全国"))
        #expect(table["chn_block4"]![0] == .string("RD经费"))
        #expect(table["value"]![0] == .double(33357.1))
        #expect(table["province"]![1] == .string("北京"))
        #expect(table["value"]![1] == .double(2947.1))
        let labour = try CSVReader.read(contentsOf: Self.repository.appendingPathComponent("Workflows/data/china/RDLaborHour.csv"),
                                        displayPath: "RDLaborHour.csv").0
        let names = Set((0..<labour.rowCount).compactMap { if case let .string(s) = labour["province"]![$0] { return s } else { return nil } })
        #expect(names.contains("上   海"))
        #expect(names.contains("内蒙占"))
    }
}
