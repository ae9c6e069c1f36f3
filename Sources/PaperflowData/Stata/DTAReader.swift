import Foundation

/// A .dta file that cannot be read, with the file and the byte offset where reading stopped.
public struct DTAError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var offset: Int?
    public var message: String

    public init(path: String, offset: Int?, message: String) {
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(path)\(offset.map { " at byte \($0)" } ?? ""): \(message)" }
}

/// How `DTAReader` turns Stata's values into table columns.
public struct DTAOptions: Sendable, Hashable {
    /// Value-labelled numbers as their labels (a category column), or as the numeric codes.
    public var valueLabels = true
    /// `%td` and `%tc` numbers as ISO 8601 text, or as the numbers Stata stores.
    public var datesAsText = true

    public init() {}
}

/// What reading converted, per column: the Stata type and format, the variable label, whether
/// value labels were applied, and how many values were each missing code (`.`, `.a`, …).
public struct DTAReport: Sendable, Hashable, Codable {
    public struct ColumnReport: Sendable, Hashable, Codable {
        public var name: String
        public var stataType: String
        public var format: String
        public var label: String
        public var type: String
        public var valueLabels: String?
        public var missing: [String: Int]
        public var unlabelled: Int?
    }

    public var release: Int
    public var rows: Int
    public var dataLabel: String
    public var columns: [ColumnReport]
}

/// Reads Stata .dta files of formats 113–119 (Stata 8 to 18) into tables: byte, int, long,
/// float and double; fixed strings and strLs; value labels; missing values `.` and `.a`–`.z`
/// (all missing, counted by code in the report); `%td`/`%tc` dates; variable labels in the
/// report. Layout from StataCorp's `help dta`; values cross-checked against pandas.read_stata
/// and pyreadstat on files they wrote (`Tests/Fixtures/stata/`).
public enum DTAReader {
    struct StataVariable {
        var name: String
        var type: StataType
        var format: String
        var valueLabelName: String
        var label: String
    }

    /// Reads the file at `url`; errors name `displayPath`.
    public static func read(contentsOf url: URL, displayPath: String, options: DTAOptions = DTAOptions()) throws -> (Table, DTAReport) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw DTAError(path: displayPath, offset: nil, message: "cannot be read: \(error.localizedDescription)")
        }
        return try data.withUnsafeBytes { raw in
            var cursor = Cursor(bytes: raw.bindMemory(to: UInt8.self), path: displayPath)
            return try read(&cursor, options: options)
        }
    }

    static func read(_ cursor: inout Cursor, options: DTAOptions) throws -> (Table, DTAReport) {
        guard cursor.bytes.count > 0 else { throw cursor.failure("is empty") }
        if cursor.starts(with: "<stata_dta>") { return try readTagged(&cursor, options: options) }
        let release = Int(cursor.bytes[0])
        // An old-format file: release, byte order 1 or 2, file type 1.
        let looksOld = cursor.bytes.count > 3 && (1...2).contains(cursor.bytes[1]) && cursor.bytes[2] == 1
        guard looksOld, (113...115).contains(release) else {
            if looksOld, (102...112).contains(release) {
                throw cursor.failure("is a Stata format \(release) file (Stata 7 or older); save it with Stata 8 or later (saveold … , version(13)) to read it")
            }
            throw cursor.failure("is not a Stata .dta file (it starts with neither <stata_dta> nor a format byte 113–115)")
        }
        return try readOld(&cursor, release: release, options: options)
    }

    // MARK: Formats 117–119

    static func readTagged(_ cursor: inout Cursor, options: DTAOptions) throws -> (Table, DTAReport) {
        try cursor.expect("<stata_dta><header><release>")
        guard let release = Int(try cursor.text(3)), (117...119).contains(release) else {
            throw cursor.failure("has a release this reader does not know (117–119 are Stata 13–18)")
        }
        try cursor.expect("</release><byteorder>")
        let order = try cursor.text(3)
        guard order == "LSF" || order == "MSF" else { throw cursor.failure("byte order '\(order)' is neither LSF nor MSF") }
        cursor.bigEndian = order == "MSF"
        try cursor.expect("</byteorder><K>")
        let k = release == 119 ? Int(try cursor.u32()) : Int(try cursor.u16())
        try cursor.expect("</K><N>")
        let n = release == 117 ? Int(try cursor.u32()) : Int(clamping: try cursor.u64())
        // Every row of a file with variables takes at least a byte: a larger N is damage.
        guard k == 0 || n <= cursor.bytes.count else { throw cursor.failure("claims \(n) rows, more than its \(cursor.bytes.count) bytes could hold") }
        try cursor.expect("</N><label>")
        let labelLength = release == 117 ? Int(try cursor.u8()) : Int(try cursor.u16())
        let dataLabel = cursor.decode(try cursor.take(labelLength), utf8: release >= 118)
        try cursor.expect("</label><timestamp>")
        _ = try cursor.take(Int(try cursor.u8()))
        try cursor.expect("</timestamp></header><map>")
        var map: [Int] = []
        for _ in 0..<14 { map.append(Int(clamping: try cursor.u64())) }
        let nameWidth = release == 117 ? 33 : 129, formatWidth = release == 117 ? 49 : 57, labelWidth = release == 117 ? 81 : 321
        let utf8 = release >= 118

        try cursor.seek(map[2], expecting: "<variable_types>")
        let types = try (0..<k).map { index -> StataType in
            let code = Int(try cursor.u16())
            guard let type = StataType(code: code) else { throw cursor.failure("variable \(index + 1) has type code \(code), which no Stata format defines") }
            return type
        }
        try cursor.seek(map[3], expecting: "<varnames>")
        let names = try (0..<k).map { _ in cursor.decode(try cursor.take(nameWidth), utf8: utf8) }
        try cursor.seek(map[5], expecting: "<formats>")
        let formats = try (0..<k).map { _ in cursor.decode(try cursor.take(formatWidth), utf8: utf8) }
        try cursor.seek(map[6], expecting: "<value_label_names>")
        let labelNames = try (0..<k).map { _ in cursor.decode(try cursor.take(nameWidth), utf8: utf8) }
        try cursor.seek(map[7], expecting: "<variable_labels>")
        let labels = try (0..<k).map { _ in cursor.decode(try cursor.take(labelWidth), utf8: utf8) }
        let variables = (0..<k).map { StataVariable(name: names[$0], type: types[$0], format: formats[$0], valueLabelName: labelNames[$0], label: labels[$0]) }

        try cursor.seek(map[10], expecting: "<strls>")
        var strls: [StrLKey: String] = [:]
        while !cursor.starts(with: "</strls>") {
            try cursor.expect("GSO")
            let v = UInt64(try cursor.u32()), o = release == 117 ? UInt64(try cursor.u32()) : try cursor.u64()
            let kind = try cursor.u8()
            let length = Int(try cursor.u32())
            var bytes = try cursor.take(length)
            if kind == 130, bytes.last == 0 { bytes = UnsafeBufferPointer(rebasing: bytes.dropLast()) }
            strls[StrLKey(v: v, o: o)] = cursor.decode(bytes, utf8: utf8, untilNull: false)
        }
        try cursor.seek(map[11], expecting: "<value_labels>")
        var valueLabels: [String: [Int32: String]] = [:]
        while cursor.starts(with: "<lbl>") {
            try cursor.expect("<lbl>")
            let length = Int(try cursor.u32())
            let name = cursor.decode(try cursor.take(nameWidth), utf8: utf8)
            _ = try cursor.take(3)
            valueLabels[name] = try labelTable(&cursor, length: length, utf8: utf8)
            try cursor.expect("</lbl>")
        }
        try cursor.expect("</value_labels>")
        try cursor.seek(map[12], expecting: "</stata_dta>")
        try cursor.seek(map[9], expecting: "<data>")
        return try rows(&cursor, variables: variables, count: n, release: release, strls: strls, valueLabels: valueLabels, dataLabel: dataLabel, options: options)
    }

    struct StrLKey: Hashable { var v: UInt64; var o: UInt64 }

    // MARK: Formats 113–115

    static func readOld(_ cursor: inout Cursor, release: Int, options: DTAOptions) throws -> (Table, DTAReport) {
        _ = try cursor.u8()
        let order = try cursor.u8()
        guard order == 1 || order == 2 else { throw cursor.failure("byte order \(order) is neither 1 (HILO) nor 2 (LOHI)") }
        cursor.bigEndian = order == 1
        _ = try cursor.take(2)
        let k = Int(try cursor.u16()), n = Int(try cursor.u32())
        guard k == 0 || n <= cursor.bytes.count else { throw cursor.failure("claims \(n) rows, more than its \(cursor.bytes.count) bytes could hold") }
        let dataLabel = cursor.decode(try cursor.take(81), utf8: false)
        _ = try cursor.take(18)
        let types = try (0..<k).map { index -> StataType in
            let code = Int(try cursor.u8())
            guard let type = StataType(oldCode: code) else { throw cursor.failure("variable \(index + 1) has type code \(code), which format \(release) does not define") }
            return type
        }
        let names = try (0..<k).map { _ in cursor.decode(try cursor.take(33), utf8: false) }
        _ = try cursor.take(2 * (k + 1))
        let formats = try (0..<k).map { _ in cursor.decode(try cursor.take(release == 113 ? 12 : 49), utf8: false) }
        let labelNames = try (0..<k).map { _ in cursor.decode(try cursor.take(33), utf8: false) }
        let labels = try (0..<k).map { _ in cursor.decode(try cursor.take(81), utf8: false) }
        while true {
            let kind = try cursor.u8(), length = Int(try cursor.u32())
            if kind == 0 && length == 0 { break }
            _ = try cursor.take(length)
        }
        let variables = (0..<k).map { StataVariable(name: names[$0], type: types[$0], format: formats[$0], valueLabelName: labelNames[$0], label: labels[$0]) }
        let dataStart = cursor.position
        cursor.position += min(n * variables.reduce(0) { $0 + $1.type.width }, cursor.bytes.count)
        var valueLabels: [String: [Int32: String]] = [:]
        while cursor.position < cursor.bytes.count {
            let length = Int(try cursor.u32())
            let name = cursor.decode(try cursor.take(33), utf8: false)
            _ = try cursor.take(3)
            valueLabels[name] = try labelTable(&cursor, length: length, utf8: false)
        }
        cursor.position = dataStart
        return try rows(&cursor, variables: variables, count: n, release: release, strls: [:], valueLabels: valueLabels, dataLabel: dataLabel, options: options)
    }

    /// A value-label table: n, the text length, n offsets, n values, the texts.
    static func labelTable(_ cursor: inout Cursor, length: Int, utf8: Bool) throws -> [Int32: String] {
        let start = cursor.position
        let count = Int(try cursor.u32()), textLength = Int(try cursor.u32())
        guard count >= 0, 8 + 8 * count + textLength == length else { throw cursor.failure("a value-label table's lengths do not add up") }
        let offsets = try (0..<count).map { _ in Int(try cursor.u32()) }
        let values = try (0..<count).map { _ in Int32(bitPattern: try cursor.u32()) }
        let text = try cursor.take(textLength)
        var table: [Int32: String] = [:]
        for (offset, value) in zip(offsets, values) {
            guard offset < textLength else { throw cursor.failure("a value label points past its table") }
            table[value] = cursor.decode(UnsafeBufferPointer(rebasing: text[offset...]), utf8: utf8)
        }
        cursor.position = start + length
        return table
    }

    // MARK: Data

    static func rows(_ cursor: inout Cursor, variables: [StataVariable], count n: Int, release: Int, strls: [StrLKey: String],
                     valueLabels: [String: [Int32: String]], dataLabel: String, options: DTAOptions) throws -> (Table, DTAReport) {
        let width = variables.reduce(0) { $0 + $1.type.width }
        let (size, overflow) = n.multipliedReportingOverflow(by: width)
        guard !overflow, cursor.position + size <= cursor.bytes.count else {
            throw cursor.failure("ends inside its data: \(n) rows of \(width) bytes need \(n * width) bytes, \(cursor.bytes.count - cursor.position) remain (a cut file?)")
        }
        var offsets: [Int] = [], offset = 0
        for variable in variables { offsets.append(offset); offset += variable.type.width }
        let layout = DataLayout(base: cursor.position, rowWidth: width, rows: n, release: release)
        // Each variable is a column of its own: decoded on every core.
        var results = [Result<(Column, DTAReport.ColumnReport), DTAError>?](repeating: nil, count: variables.count)
        let reader = cursor
        results.withUnsafeMutableBufferPointer { slots in
            let slots = slots
            Parallel.forEach(variables.count) { index in
                slots[index] = Result { () throws(DTAError) in
                    try column(variables[index], at: offsets[index], layout, reader, strls: strls, valueLabels: valueLabels, options: options)
                }
            }
        }
        var columns: [(String, Column)] = [], reports: [DTAReport.ColumnReport] = []
        for (variable, result) in zip(variables, results) {
            let (column, report) = try result!.get()
            columns.append((variable.name, column))
            reports.append(report)
        }
        let table: Table
        do { table = try Table(columns) } catch { throw cursor.failure("\(error)") }
        return (table, DTAReport(release: release, rows: n, dataLabel: dataLabel, columns: reports))
    }

    /// Where the data rows lie: `rows` rows of `rowWidth` bytes from `base`.
    struct DataLayout {
        var base: Int
        var rowWidth: Int
        var rows: Int
        var release: Int
    }

    /// One variable's values as a column, with its report.
    static func column(_ variable: StataVariable, at offset: Int, _ layout: DataLayout, _ cursor: Cursor, strls: [StrLKey: String],
                       valueLabels: [String: [Int32: String]], options: DTAOptions) throws(DTAError) -> (Column, DTAReport.ColumnReport) {
        let n = layout.rows
        let utf8 = layout.release >= 118
        var missing: [String: Int] = [:]
        let at = { (row: Int) in layout.base + row * layout.rowWidth + offset }
        let column: Column
        var applied: String?
        var unlabelled: Int?
        switch variable.type {
        case let .str(length):
            column = fixedStrings(cursor, width: length, rows: n, at: at, utf8: utf8)
        case .strL:
            var values: [String?] = []
            values.reserveCapacity(n)
            for row in 0..<n {
                let (v, o) = cursor.strLReference(at: at(row), release: layout.release)
                if v == 0 && o == 0 { values.append(""); continue }
                guard let text = strls[StrLKey(v: v, o: o)] else { throw cursor.failure("row \(row + 1) of \(variable.name) refers to strL (\(v), \(o)), which the file does not hold") }
                values.append(text)
            }
            column = Column(string: values)
        case .byte, .int, .long:
            let (values, validity) = numbers(n, missing: &missing) { row in
                let (value, base) = cursor.integer(at: at(row), variable.type)
                return (value, StataMissing.code(value, base: base))
            }
            let present = { (row: Int) in validity.map { $0[row] } ?? true }
            if let table = valueLabels[variable.valueLabelName], !variable.valueLabelName.isEmpty, options.valueLabels {
                applied = variable.valueLabelName
                var count = 0
                column = Column(category: (0..<n).map { row -> String? in
                    guard present(row) else { return nil }
                    if let text = table[Int32(truncatingIfNeeded: values[row])] { return text }
                    count += 1
                    return String(values[row])
                })
                unlabelled = count
            } else if options.datesAsText, StataDates.isDaily(variable.format) {
                column = Column(string: (0..<n).map { present($0) ? StataDates.day(values[$0]) : nil })
            } else if options.datesAsText, StataDates.isClock(variable.format) {
                column = Column(string: (0..<n).map { present($0) ? StataDates.clock(values[$0]) : nil })
            } else {
                column = Column(storage: .int64(ColumnBuffer(values)), validity: validity)
            }
        case .float, .double:
            let (values, validity) = numbers(n, missing: &missing) { cursor.real(at: at($0), variable.type) }
            let present = { (row: Int) in validity.map { $0[row] } ?? true }
            // Beyond ±100 million days (or ±8.64e18 ms) no calendar date: the number as text.
            if options.datesAsText, StataDates.isClock(variable.format) {
                column = Column(string: (0..<n).map { row in
                    present(row) ? abs(values[row]) < 8.64e18 ? StataDates.clock(Int64(values[row].rounded())) : String(values[row]) : nil
                })
            } else if options.datesAsText, StataDates.isDaily(variable.format) {
                column = Column(string: (0..<n).map { row in
                    present(row) ? abs(values[row]) < 1e8 ? StataDates.day(Int64(values[row].rounded(.down))) : String(values[row]) : nil
                })
            } else {
                column = Column(storage: .double(ColumnBuffer(values)), validity: validity)
            }
        }
        let report = DTAReport.ColumnReport(name: variable.name, stataType: variable.type.description, format: variable.format,
                                            label: variable.label, type: column.type.rawValue, valueLabels: applied,
                                            missing: missing, unlabelled: unlabelled)
        return (column, report)
    }

    /// `n` numbers read by `value` (each with its missing code, if missing), the missing ones
    /// left 0 and counted by code, with the validity bitmap when any is missing.
    static func numbers<Number: Numeric>(_ n: Int, missing: inout [String: Int], _ value: (Int) -> (Number, Int?)) -> ([Number], Bitmap?) {
        var values = [Number](repeating: 0, count: n)
        var validity: Bitmap?
        for row in 0..<n {
            let (number, code) = value(row)
            if let code {
                missing[StataMissing.name(code), default: 0] += 1
                if validity == nil { validity = Bitmap(count: n, value: true) }
                validity![row] = false
            } else {
                values[row] = number
            }
        }
        return (values, validity)
    }

    /// A str# variable: each cell's bytes up to its first NUL, copied into one buffer and checked
    /// as UTF-8 once; where a cell is not UTF-8 (an old file's Latin-1), every cell is decoded
    /// one by one as `Cursor.decode` does.
    static func fixedStrings(_ cursor: Cursor, width: Int, rows n: Int, at: (Int) -> Int, utf8: Bool) -> Column {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n * min(width, 32))
        var offsets: [Int64] = [0]
        offsets.reserveCapacity(n + 1)
        let base = cursor.bytes.baseAddress!
        for row in 0..<n {
            let start = at(row)
            var end = start
            while end < start + width, base[end] != 0 { end += 1 }
            bytes.append(contentsOf: UnsafeBufferPointer(start: base + start, count: end - start))
            offsets.append(Int64(bytes.count))
        }
        let valid = bytes.withUnsafeBytes { raw in
            UTF8Validation.firstInvalid(raw, from: 0) == nil
                && !offsets.dropLast().contains { Int($0) < raw.count && raw[Int($0)] & 0xC0 == 0x80 }
        }
        if valid { return Column(storage: .string(StringStorage(offsets: offsets, bytes: bytes))) }
        return Column(string: (0..<n).map { row in
            cursor.decode(UnsafeBufferPointer(rebasing: cursor.bytes[at(row)..<(at(row) + width)]), utf8: utf8)
        })
    }
}

/// Reads fixed-width fields of a file in memory, in the file's byte order.
struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let path: String
    var position = 0
    var bigEndian = false

    init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
    }

    func failure(_ message: String) -> DTAError { DTAError(path: path, offset: position, message: message) }

    func starts(with tag: String) -> Bool {
        let utf8 = Array(tag.utf8)
        return position + utf8.count <= bytes.count && bytes[position..<(position + utf8.count)].elementsEqual(utf8)
    }

    mutating func expect(_ tag: String) throws {
        guard starts(with: tag) else { throw failure("expected \(tag) (a cut or damaged file?)") }
        position += tag.utf8.count
    }

    mutating func seek(_ offset: Int, expecting tag: String) throws {
        guard offset >= 0, offset < bytes.count else { throw failure("its map points to byte \(offset), past the end (a cut file?)") }
        position = offset
        try expect(tag)
    }

    mutating func take(_ count: Int) throws -> UnsafeBufferPointer<UInt8> {
        guard count >= 0, position + count <= bytes.count else { throw failure("ends early: \(count) more bytes needed (a cut file?)") }
        defer { position += count }
        return UnsafeBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    mutating func text(_ count: Int) throws -> String { String(decoding: try take(count), as: UTF8.self) }

    @inline(__always)
    func unsigned(at offset: Int, width: Int) -> UInt64 {
        if !bigEndian, offset >= 0, offset + width <= bytes.count {
            let raw = UnsafeRawPointer(bytes.baseAddress!)
            switch width {
            case 1: return UInt64(bytes[offset])
            case 2: return UInt64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            case 4: return UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            case 8: return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            default: break
            }
        }
        var value: UInt64 = 0
        for i in 0..<width {
            let byte = UInt64(bytes[offset + (bigEndian ? i : width - 1 - i)])
            value = value << 8 | byte
        }
        return value
    }

    mutating func fixed(_ width: Int) throws -> UInt64 {
        guard position + width <= bytes.count else { throw failure("ends early (a cut file?)") }
        defer { position += width }
        return unsigned(at: position, width: width)
    }

    mutating func u8() throws -> UInt8 { UInt8(try fixed(1)) }
    mutating func u16() throws -> UInt16 { UInt16(try fixed(2)) }
    mutating func u32() throws -> UInt32 { UInt32(try fixed(4)) }
    mutating func u64() throws -> UInt64 { try fixed(8) }

    /// A signed integer field and the first missing value of its type.
    func integer(at offset: Int, _ type: StataType) -> (Int64, Int64) {
        switch type {
        case .byte: return (Int64(Int8(bitPattern: UInt8(unsigned(at: offset, width: 1)))), StataMissing.byteBase)
        case .int: return (Int64(Int16(bitPattern: UInt16(unsigned(at: offset, width: 2)))), StataMissing.intBase)
        default: return (Int64(Int32(bitPattern: UInt32(unsigned(at: offset, width: 4)))), StataMissing.longBase)
        }
    }

    /// A float or double field, or its missing code.
    func real(at offset: Int, _ type: StataType) -> (Double, Int?) {
        if type == .float {
            let bits = UInt32(unsigned(at: offset, width: 4))
            return (Double(Float(bitPattern: bits)), StataMissing.code(floatBits: bits))
        }
        let bits = unsigned(at: offset, width: 8)
        return (Double(bitPattern: bits), StataMissing.code(doubleBits: bits))
    }

    /// A strL cell's (variable, observation): 4 + 4 bytes in 117, 2 + 6 in 118, 3 + 5 in 119.
    func strLReference(at offset: Int, release: Int) -> (UInt64, UInt64) {
        let vWidth = release == 117 ? 4 : release == 118 ? 2 : 3
        if bigEndian {
            return (unsigned(at: offset, width: vWidth), unsigned(at: offset + vWidth, width: 8 - vWidth))
        }
        return (unsigned(at: offset, width: vWidth), unsigned(at: offset + vWidth, width: 8 - vWidth))
    }

    /// Text up to the first NUL: UTF-8 (formats 118–119), or Latin-1 where older files are not
    /// valid UTF-8.
    func decode(_ field: UnsafeBufferPointer<UInt8>, utf8: Bool, untilNull: Bool = true) -> String {
        let end = untilNull ? (field.firstIndex(of: 0) ?? field.endIndex) : field.endIndex
        let slice = UnsafeBufferPointer(rebasing: field[field.startIndex..<end])
        if let text = String(validating: slice, as: UTF8.self) { return text }
        return String(slice.map { Character(UnicodeScalar($0)) })
    }
}
