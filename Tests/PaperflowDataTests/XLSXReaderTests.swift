import Foundation
import PaperflowData
import PaperflowTestSupport
import Testing

/// io.xlsx's reader on workbooks openpyxl wrote (`Tests/Fixtures/excel/make_fixtures.py`):
/// inline strings (openpyxl's form) and a shared-strings table (Excel's) give the same table,
/// every cell as openpyxl reads it back; damaged files are errors naming the file and the fix.
@Suite("Excel .xlsx reader")
struct XLSXReaderTests {
    enum Cell: Decodable, Equatable {
        case number(Double), text(String), flag(Bool)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) { self = .flag(flag) }
            else if let number = try? container.decode(Double.self) { self = .number(number) }
            else { self = .text(try container.decode(String.self)) }
        }
    }

    struct Expected: Decodable {
        var rows: [[Cell?]]
        var merged: [String]
        var sheets: [String]
    }

    static func options(skip: Int = 1) -> XLSXReader.Options {
        var options = XLSXReader.Options()
        options.skipRows = skip
        return options
    }

    @Test("inline and shared strings, numbers, dates, datetimes and booleans as openpyxl reads them; the empty row left out",
          arguments: ["yearbook.xlsx", "shared.xlsx"])
    func openpyxlFiles(file: String) throws {
        let expected = try #require(try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: Fixtures.url("excel/expected.json")))[file])
        let (table, report) = try XLSXReader.read(contentsOf: Fixtures.url("excel/\(file)"), displayPath: file, options: Self.options())
        let header = expected.rows[0].map { cell -> String in if case let .text(t)? = cell { return t } else { return "" } }
        #expect(table.names == header)
        let rows = expected.rows.dropFirst().filter { !$0.allSatisfy { $0 == nil } }
        #expect(table.rowCount == rows.count)
        #expect(report.emptyRowsSkipped == 1 && report.sheets == expected.sheets && report.sheet == "R&D 2023")
        #expect(report.dateColumns == ["published"] && report.mergedCells.isEmpty && report.area == "A2:F7")
        for (row, cells) in rows.enumerated() {
            for (index, want) in cells.enumerated() {
                let column = table.columns[index]
                let got: Cell? = column.isMissing(row) ? nil : {
                    switch column[row] {
                    case let .int64(v): return .number(Double(v))
                    case let .double(v): return .number(v)
                    case let .bool(v): return .flag(v)
                    case let .string(v): return .text(v)
                    default: return nil
                    }
                }()
                #expect(got == want, "\(file) row \(row + 1) \(header[index]): \(String(describing: got)) vs openpyxl \(String(describing: want))")
            }
        }
        #expect(table["code"]?.type == .string || table["code"]?.type == .category)
        #expect(table["staff"]?.type == .int64 && table["checked"]?.type == .bool)
    }

    @Test("without skip_rows the merged title is the header row and is reported; a sheet by name and by position; a range")
    func areas() throws {
        let (_, report) = try XLSXReader.read(contentsOf: Fixtures.url("excel/shared.xlsx"), displayPath: "s.xlsx", options: Self.options(skip: 0))
        #expect(report.mergedCells == ["A1:F1"])
        var options = Self.options(skip: 0)
        options.sheet = "2"
        options.csv.hasHeader = false
        let (notes, _) = try XLSXReader.read(contentsOf: Fixtures.url("excel/shared.xlsx"), displayPath: "s.xlsx", options: options)
        #expect(notes.rowCount == 1 && notes.columns[1][0] == .string("techme R package"))
        options = Self.options(skip: 0)
        options.range = "B2:C4"
        let (part, _) = try XLSXReader.read(contentsOf: Fixtures.url("excel/shared.xlsx"), displayPath: "s.xlsx", options: options)
        #expect(part.names == ["code", "staff"] && part.rowCount == 2)
        options.range = ""
        options.sheet = "Sheet9"
        #expect(throws: XLSXError(path: "s.xlsx", message: "has no sheet 'Sheet9'; its sheets are 'R&D 2023', 'notes'")) {
            try XLSXReader.read(contentsOf: Fixtures.url("excel/shared.xlsx"), displayPath: "s.xlsx", options: options)
        }
    }

    @Test("a number far beyond any calendar in a date style stays a number instead of trapping")
    func hugeDate() throws {
        let (table, report) = try XLSXReader.read(contentsOf: Fixtures.url("excel/huge_date.xlsx"), displayPath: "h.xlsx")
        #expect(table["when"]?[0] == .double(1e20) && report.dateColumns.isEmpty)
    }

    @Test("a cut workbook, a flipped byte and a CSV named .xlsx are errors with the file and the fix — never a crash")
    func damaged() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-xlsx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let whole = try Data(contentsOf: Fixtures.url("excel/shared.xlsx"))
        let url = folder.appendingPathComponent("book.xlsx")
        var survived: [Int] = []
        for cut in stride(from: 0, to: whole.count, by: max(1, whole.count / 60)) {
            try whole.prefix(cut).write(to: url)
            do { _ = try XLSXReader.read(contentsOf: url, displayPath: "data/book.xlsx", options: Self.options()) ; survived.append(cut) } catch let error as XLSXError {
                #expect(error.path == "data/book.xlsx")
            }
        }
        #expect(survived.isEmpty, "cuts read without error: \(survived)")
        // One flipped byte inside the compressed sheet: the CRC-32 or the DEFLATE stream says so.
        var flipped = whole
        for offset in stride(from: 200, to: whole.count - 400, by: 97) {
            flipped = whole
            flipped[offset] ^= 0x55
            try flipped.write(to: url)
            do { _ = try XLSXReader.read(contentsOf: url, displayPath: "b.xlsx", options: Self.options()) } catch is XLSXError {}
        }
        // Any one byte set to 0x00 or 0xFF (sizes, offsets, counts in the ZIP directories): an
        // error or a table, never a trap.
        for offset in stride(from: 0, to: whole.count, by: 11) {
            for value: UInt8 in [0x00, 0xFF] {
                var changed = whole
                changed[offset] = value
                try changed.write(to: url)
                _ = try? XLSXReader.read(contentsOf: url, displayPath: "b.xlsx", options: Self.options())
            }
        }
        try Data("province,code,value\nBeijing,0101,6.73\nTianjin,0202,3.58\n".utf8).write(to: url)
        #expect(throws: XLSXError(path: "b.xlsx", message: "is not a ZIP archive (no end-of-central-directory record; an .xlsx file is one)")) {
            try XLSXReader.read(contentsOf: url, displayPath: "b.xlsx")
        }
    }
}
