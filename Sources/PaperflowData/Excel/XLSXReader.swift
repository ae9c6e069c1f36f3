import Foundation

/// What io.xlsx read: the sheet, the cells' area, rows left out, merged cells, error cells.
public struct XLSXReport: Sendable, Hashable, Codable {
    public var sheet: String
    public var sheets: [String]
    public var area: String
    public var rows: Int
    public var emptyRowsSkipped: Int
    public var mergedCells: [String]
    public var errorCells: [String]
    public var dateColumns: [String]
}


/// Reads one sheet of an Office Open XML workbook (.xlsx, ECMA-376 SpreadsheetML) into a table:
/// shared and inline strings, numbers, booleans, dates (a number whose cell style is a date
/// format, in the 1900 or 1904 system) as ISO 8601 text, formula results; the cells become CSV
/// text that io.csv's reader types as it types a file (leading zeros kept, schema honoured).
/// The ZIP container and its DEFLATE streams are read here (`ZipArchive`, `Inflate`); the XML
/// parts by a scanner of the few elements a sheet uses. Cross-checked against openpyxl on
/// files it wrote (`Tests/Fixtures/excel/`).
public enum XLSXReader {
    public struct Options: Sendable {
        /// A sheet name, or its 1-based position; empty for the first.
        public var sheet = ""
        /// An A1-style area such as `A2:F40`; empty for every used cell.
        public var range = ""
        /// Rows to skip at the top of the area (a title above the header).
        public var skipRows = 0
        public var csv = CSVOptions()
        public init() {}
    }

    public static func read(contentsOf url: URL, displayPath: String, options: Options = Options()) throws -> (Table, XLSXReport) {
        let fail = { (message: String) in XLSXError(path: displayPath, message: message) }
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: url)) } catch { throw fail("cannot be read: \(error.localizedDescription)") }
        let archive: ZipArchive
        do { archive = try ZipArchive(bytes) } catch let failure as ZipArchive.Failure { throw fail(failure.message) }
        func part(_ name: String) throws -> ArraySlice<UInt8>? {
            do { return try archive.data(name).map { ArraySlice($0) } } catch let failure as ZipArchive.Failure { throw fail(failure.message) }
        }
        guard let workbook = try part("xl/workbook.xml") else { throw fail("has no xl/workbook.xml: it is a ZIP file but not an .xlsx workbook") }
        let relations = try part("xl/_rels/workbook.xml.rels") ?? []
        let sheets = XMLScan.elements("sheet", in: workbook).map { ($0.attributes["name"] ?? "", $0.attributes["r:id"] ?? "") }
        guard !sheets.isEmpty else { throw fail("lists no sheets") }
        let chosen: (String, String)
        if options.sheet.isEmpty {
            chosen = sheets[0]
        } else if let match = sheets.first(where: { $0.0 == options.sheet }) {
            chosen = match
        } else if let position = Int(options.sheet), (1...sheets.count).contains(position) {
            chosen = sheets[position - 1]
        } else {
            throw fail("has no sheet '\(options.sheet)'; its sheets are \(sheets.map { "'\($0.0)'" }.joined(separator: ", "))")
        }
        let target = XMLScan.elements("Relationship", in: relations).first { $0.attributes["Id"] == chosen.1 }?.attributes["Target"] ?? ""
        let sheetPath = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        guard let sheetXML = try part(sheetPath) else { throw fail("sheet '\(chosen.0)' points to \(sheetPath), which the file does not hold") }
        let shared = try part("xl/sharedStrings.xml").map { XMLScan.elements("si", in: $0).map { XMLScan.text(of: $0.inner) } } ?? []
        let styles = try part("xl/styles.xml").map(DateStyles.init) ?? DateStyles(xml: [])
        let date1904 = XMLScan.elements("workbookPr", in: workbook).first.map { ["1", "true"].contains($0.attributes["date1904"] ?? "") } ?? false

        // The cells, by row and column (1-based).
        var cells: [Int: [Int: (text: String, quoted: Bool)]] = [:]
        var errors: [String] = [], dateColumns: Set<Int> = []
        for cell in XMLScan.elements("c", in: sheetXML) {
            guard let reference = cell.attributes["r"], let (row, column) = CellReference.parse(reference) else { continue }
            let value = XMLScan.elements("v", in: cell.inner).first.map { XMLScan.decode($0.inner) }
            switch cell.attributes["t"] ?? "n" {
            case "s":
                guard let index = value.flatMap(Int.init), index < shared.count else { throw fail("cell \(reference) refers to shared string \(value ?? "?"), which the table does not hold") }
                cells[row, default: [:]][column] = (shared[index], true)
            case "inlineStr": cells[row, default: [:]][column] = (XMLScan.text(of: cell.inner), true)
            case "str", "d": if let value { cells[row, default: [:]][column] = (value, true) }
            case "b": if let value { cells[row, default: [:]][column] = (value == "1" ? "true" : "false", false) }
            case "e": errors.append("\(reference) \(value ?? "")")
            default:
                guard let value, let number = Double(value) else { continue }
                if let style = cell.attributes["s"].flatMap(Int.init), styles.isDate(style: style),
                   let date = ExcelDates.iso(serial: number, date1904: date1904) {
                    cells[row, default: [:]][column] = (date, true)
                    dateColumns.insert(column)
                } else {
                    cells[row, default: [:]][column] = (value, false)
                }
            }
        }
        // The area: the range asked for, or every used cell.
        var area: (top: Int, left: Int, bottom: Int, right: Int)
        if options.range.isEmpty {
            let rows = cells.keys, columns = cells.values.flatMap(\.keys)
            area = (rows.min() ?? 1, columns.min() ?? 1, rows.max() ?? 1, columns.max() ?? 1)
        } else {
            let ends = options.range.split(separator: ":").map(String.init)
            guard ends.count == 2, let start = CellReference.parse(ends[0]), let end = CellReference.parse(ends[1]), start.0 <= end.0, start.1 <= end.1 else {
                throw fail("range '\(options.range)' is not an area such as A2:F40")
            }
            // Never past the last used cell: A1:XFD1048576 reads what is there.
            let usedRows = cells.keys.max() ?? start.0, usedColumns = cells.values.flatMap(\.keys).max() ?? start.1
            area = (start.0, start.1, min(end.0, max(usedRows, start.0)), min(end.1, max(usedColumns, start.1)))
        }
        area.top += max(options.skipRows, 0)
        let merged = XMLScan.elements("mergeCell", in: sheetXML).compactMap { $0.attributes["ref"] }.filter { reference in
            let ends = reference.split(separator: ":").compactMap { CellReference.parse(String($0)) }
            guard ends.count == 2 else { return false }
            return ends[0].0 <= area.bottom && ends[1].0 >= area.top && ends[0].1 <= area.right && ends[1].1 >= area.left
        }
        func field(_ cell: (text: String, quoted: Bool)?) -> String {
            guard let cell else { return "" }
            return cell.quoted || cell.text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + cell.text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell.text
        }
        var lines: [String] = [], skipped = 0
        for row in area.top...max(area.top, area.bottom) {
            let values = (area.left...area.right).map { cells[row]?[$0] }
            if values.allSatisfy({ $0 == nil }) {
                if row != area.top || !options.csv.hasHeader { skipped += 1 }
                if row != area.top || !options.csv.hasHeader { continue }
            }
            lines.append(values.map(field).joined(separator: ","))
        }
        let name = "\(displayPath) sheet '\(chosen.0)'"
        let table: Table
        do {
            (table, _) = try CSVReader.read(text: lines.joined(separator: "\n") + "\n", file: name, options: options.csv)
        } catch let error as CSVError {
            throw fail("sheet '\(chosen.0)': \(error) (lines count the area's non-empty rows, header first)")
        }
        let header = options.csv.hasHeader ? (area.left...area.right).map { cells[area.top]?[$0]?.text ?? "" } : []
        return (table, XLSXReport(sheet: chosen.0, sheets: sheets.map(\.0),
                                  area: CellReference.name(row: area.top, column: area.left) + ":" + CellReference.name(row: area.bottom, column: area.right),
                                  rows: table.rowCount, emptyRowsSkipped: skipped, mergedCells: merged, errorCells: errors,
                                  dateColumns: dateColumns.sorted().compactMap { column in
                                      options.csv.hasHeader ? header[safe: column - area.left] : CellReference.letters(column)
                                  }))
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

/// A1-style cell names.
enum CellReference {
    /// (row, column), both 1-based, of `A1`, `$B$7`, `AA10`.
    static func parse(_ text: String) -> (Int, Int)? {
        var column = 0, row = 0, digits = false
        for character in text.uppercased() where character != "$" {
            if let letter = character.asciiValue, (65...90).contains(letter), !digits {
                column = column * 26 + Int(letter - 64)
            } else if let digit = character.wholeNumberValue, character.isASCII {
                digits = true
                row = row * 10 + digit
            } else {
                return nil
            }
            if column > 16_384 || row > 1_048_576 { return nil }
        }
        return column > 0 && row > 0 ? (row, column) : nil
    }

    static func letters(_ column: Int) -> String {
        var column = column, text = ""
        while column > 0 {
            let remainder = (column - 1) % 26
            text = String(UnicodeScalar(UInt8(65 + remainder))) + text
            column = (column - 1) / 26
        }
        return text
    }

    static func name(row: Int, column: Int) -> String { letters(column) + String(row) }
}

/// Which cell styles show a number as a date: built-in date formats (ECMA-376 §18.8.30, ids
/// 14–22, 27–36, 45–47, 50–58) and custom ones whose code has a year, day, hour or second.
struct DateStyles {
    var dateStyles: Set<Int> = []

    init(xml: ArraySlice<UInt8>) {
        var custom: [Int: String] = [:]
        for format in XMLScan.elements("numFmt", in: xml) {
            if let id = format.attributes["numFmtId"].flatMap(Int.init) { custom[id] = format.attributes["formatCode"] ?? "" }
        }
        guard let xfs = XMLScan.elements("cellXfs", in: xml).first else { return }
        for (index, xf) in XMLScan.elements("xf", in: xfs.inner).enumerated() {
            guard let id = xf.attributes["numFmtId"].flatMap(Int.init) else { continue }
            let builtin = (14...22).contains(id) || (27...36).contains(id) || (45...47).contains(id) || (50...58).contains(id)
            if builtin || custom[id].map(Self.isDateCode) == true { dateStyles.insert(index) }
        }
    }

    static func isDateCode(_ code: String) -> Bool {
        // Quoted text and [colour]/[locale] sections say nothing about the value.
        let bare = code.replacing(/"[^"]*"/, with: "").replacing(/\[[^\]]*\]/, with: "").lowercased()
        return bare.contains(where: { "ydhs".contains($0) })
    }

    func isDate(style: Int) -> Bool { dateStyles.contains(style) }
}

/// Excel's date serial numbers: days since 1899-12-30 (the 1900 system, whose day 60 is the
/// 29 February 1900 that never was) or since 1904-01-01, fractions of a day for the time.
enum ExcelDates {
    /// Nil beyond ±10 million days (years before −25,000 or after 29,000): no calendar date.
    static func iso(serial: Double, date1904: Bool) -> String? {
        guard serial.isFinite, abs(serial) < 1e7 else { return nil }
        var days = serial.rounded(.down)
        let seconds = Int64(((serial - days) * 86_400).rounded())
        if !date1904, days < 61 { days += 1 }
        let epoch: Int64 = date1904 ? 24_107 : 25_569 // 1904-01-01 and 1899-12-30 before 1970-01-01
        let (y, m, d) = CivilCalendar.date(Int64(days) - epoch)
        let date = String(format: "%04lld-%02lld-%02lld", y, m, d)
        guard seconds > 0 else { return date }
        return date + String(format: "T%02lld:%02lld:%02lld", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }
}

/// The few XML forms a workbook's parts use, found by scanning the UTF-8 bytes: elements by
/// name with their attributes and inner bytes, entities decoded. Not a general XML parser.
enum XMLScan {
    struct Element {
        var attributes: [String: String]
        var inner: ArraySlice<UInt8>
    }

    static func elements(_ name: String, in text: String) -> [Element] { elements(name, in: ArraySlice(Array(text.utf8))) }

    /// The first index of `pattern` in `bytes` at or after `from`.
    static func find(_ pattern: [UInt8], in bytes: ArraySlice<UInt8>, from: Int) -> Int? {
        guard let first = pattern.first, bytes.endIndex - from >= pattern.count else { return nil }
        var index = from
        let last = bytes.endIndex - pattern.count
        while index <= last {
            if bytes[index] == first {
                var matched = true
                for offset in 1..<pattern.count where bytes[index + offset] != pattern[offset] { matched = false; break }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }

    static func elements(_ name: String, in bytes: ArraySlice<UInt8>) -> [Element] {
        var found: [Element] = []
        let open = Array(("<" + name).utf8), close = Array(("</" + name + ">").utf8)
        var position = bytes.startIndex
        while let start = find(open, in: bytes, from: position) {
            let afterName = start + open.count
            guard afterName < bytes.endIndex else { break }
            let next = bytes[afterName]
            guard next == 0x20 || next == 0x3E || next == 0x2F || next == 0x0A || next == 0x09 || next == 0x0D else {
                position = afterName
                continue
            }
            guard let end = find([0x3E], in: bytes, from: afterName) else { break }
            let head = bytes[afterName..<end]
            let attributes = Self.attributes(head)
            if head.last == 0x2F {
                found.append(Element(attributes: attributes, inner: []))
                position = end + 1
                continue
            }
            guard let closing = find(close, in: bytes, from: end + 1) else { break }
            found.append(Element(attributes: attributes, inner: bytes[(end + 1)..<closing]))
            position = closing + close.count
        }
        return found
    }

    /// `name="value"` pairs of a start tag.
    static func attributes(_ head: ArraySlice<UInt8>) -> [String: String] {
        var result: [String: String] = [:]
        var index = head.startIndex
        while index < head.endIndex {
            while index < head.endIndex, [0x20, 0x0A, 0x09, 0x0D, 0x2F].contains(head[index]) { index += 1 }
            let nameStart = index
            while index < head.endIndex, head[index] != 0x3D, head[index] != 0x20 { index += 1 }
            let name = String(decoding: head[nameStart..<index], as: UTF8.self)
            while index < head.endIndex, head[index] != 0x22 { index += 1 }
            guard index < head.endIndex else { break }
            let valueStart = index + 1
            guard let valueEnd = find([0x22], in: head, from: valueStart) else { break }
            if !name.isEmpty { result[name] = decode(head[valueStart..<valueEnd]) }
            index = valueEnd + 1
        }
        return result
    }

    /// The text of every `<t>` inside (a rich-text string is several runs).
    static func text(of inner: ArraySlice<UInt8>) -> String {
        elements("t", in: inner).map { decode($0.inner) }.joined()
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard bytes.contains(0x26) else { return text }
        var result = "", rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            result += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else { result += rest[amp...]; return result }
            let entity = rest[rest.index(after: amp)..<semicolon]
            switch entity {
            case "amp": result += "&"
            case "lt": result += "<"
            case "gt": result += ">"
            case "quot": result += "\""
            case "apos": result += "'"
            default:
                if entity.hasPrefix("#x"), let code = UInt32(entity.dropFirst(2), radix: 16), let scalar = UnicodeScalar(code) {
                    result.unicodeScalars.append(scalar)
                } else if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst()), let scalar = UnicodeScalar(code) {
                    result.unicodeScalars.append(scalar)
                } else {
                    result += rest[amp...semicolon]
                }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return result + rest
    }
}
