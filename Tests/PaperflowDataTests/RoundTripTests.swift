import Foundation
import PaperflowData
import Testing

@Suite("Round trips: CSV and the binary table format")
struct RoundTripTests {
    static func sample() throws -> Table {
        try Table([
            ("firm", Column(string: ["0042", "NA", "", "12", "true", " padded ", "a,b", "say \"hi\"", "line\nbreak", nil])),
            ("city", Column(category: ["南京", "苏州", "南京", nil, "无锡", "南京", "苏州", "苏州", "南京", "南京"])),
            ("year", Column(int64: [2002, 2003, nil, 2005, -1, 0, Int64.max, Int64.min, 7, 8])),
            ("value", Column(double: [0.1, 1e-300, nil, -2.5, 1.7976931348623157e308, 5e-324, 0.30000000000000004, 3, -0.0, 1e22])),
            ("export", Column(bool: [true, false, nil, true, true, false, false, true, nil, true])),
        ])
    }

    @Test("Table → binary → Table is the identity, and the bytes are deterministic")
    func binary() throws {
        let table = try Self.sample()
        let bytes = BinaryTableFormat.encode(table)
        let decoded = try bytes.withUnsafeBytes { try BinaryTableFormat.decode($0) }
        #expect(decoded == table)
        #expect(BinaryTableFormat.encode(decoded) == bytes)
        #expect(bytes.count % 64 == 0)
        #expect(Array(bytes.prefix(8)) == Array("PFTABLE1".utf8))
    }

    @Test("the three writers give the same bytes: encode, data, and write (a buffer at a time), for the sample and an empty table")
    func writers() throws {
        for table in [try Self.sample(), try Table([("x", Column(double: [Double?]()))])] {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-write-\(UUID().uuidString).pftable")
            defer { try? FileManager.default.removeItem(at: url) }
            try BinaryTableFormat.write(table, to: url)
            let bytes = BinaryTableFormat.encode(table)
            #expect(Array(try Data(contentsOf: url)) == bytes)
            #expect(Array(BinaryTableFormat.data(table)) == bytes)
            #expect(bytes.count % 64 == 0)
            // An existing file is not overwritten (outputs are fresh files in a scratch folder).
            #expect(throws: BinaryTableFormat.FormatError.self) { try BinaryTableFormat.write(table, to: url) }
        }
    }

    @Test("a table file read by mapping equals the table, and outlives the file's removal")
    func mappedRead() throws {
        let table = try Self.sample()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-mapped-\(UUID().uuidString).pftable")
        try Data(BinaryTableFormat.encode(table)).write(to: url)
        let mapped = try BinaryTableFormat.read(contentsOf: url)
        try FileManager.default.removeItem(at: url)
        #expect(mapped == table)
        #expect(mapped["year"]![6] == .int64(Int64.max))
        #expect(BinaryTableFormat.encode(mapped) == BinaryTableFormat.encode(table))
        #expect(throws: BinaryTableFormat.FormatError.self) { try BinaryTableFormat.read(contentsOf: url) }
    }

    @Test("a damaged binary file is refused, not misread")
    func damagedBinary() throws {
        var bytes = BinaryTableFormat.encode(try Self.sample())
        bytes.removeLast(200)
        #expect(throws: BinaryTableFormat.FormatError.self) { try bytes.withUnsafeBytes { try BinaryTableFormat.decode($0) } }
        #expect(throws: BinaryTableFormat.FormatError.self) { try [UInt8](repeating: 0, count: 64).withUnsafeBytes { try BinaryTableFormat.decode($0) } }
        // Sizes chosen to overflow arithmetic: a header length of 2^64 - 1, a row count of 2^62,
        // a buffer at offset 2^62 of length 2^62, a string offset pointing past the bytes.
        let good = BinaryTableFormat.encode(try Self.sample())
        var hugeHeader = good
        for index in 8..<16 { hugeHeader[index] = 0xFF }
        let header = String(decoding: good[16..<(16 + Int(good[8]) + Int(good[9]) << 8)], as: UTF8.self)
        func replacing(_ old: String, _ new: String) -> [UInt8] {
            let changed = Array(header.replacingOccurrences(of: old, with: new).utf8)
            var bytes = Array(good.prefix(8))
            withUnsafeBytes(of: UInt64(changed.count).littleEndian) { bytes += $0 }
            return bytes + changed + good[(16 + header.utf8.count)...]
        }
        let firstBuffer = String(header[try #require(header.firstRange(of: /\[\d+,\d+\]/))])
        for damaged in [hugeHeader, replacing("\"rows\":10", "\"rows\":4611686018427387904"),
                        replacing(firstBuffer, "[4611686018427387904,4611686018427387904]")] {
            #expect(throws: BinaryTableFormat.FormatError.self) { try damaged.withUnsafeBytes { try BinaryTableFormat.decode($0) } }
        }
    }

    @Test("Table → CSV → Table keeps every value and type (strings that look like numbers or NA are quoted)")
    func csvTable() throws {
        let table = try Self.sample()
        let csv = CSVWriter.write(table)
        var options = CSVOptions()
        options.schema = ["city": .category]
        let (back, _) = try csv.withUnsafeBytes { try CSVReader.read(bytes: $0, file: "sample.csv", options: options) }
        #expect(back.names == table.names)
        for (name, column) in zip(table.names, table.columns) {
            for row in 0..<table.rowCount {
                let expected = column[row], actual = back[name]![row]
                if case let .double(a) = expected, case let .double(b) = actual {
                    #expect(a.bitPattern == b.bitPattern || (a == 0 && b == 0), "\(name)[\(row)]")
                } else {
                    #expect(actual == expected, "\(name)[\(row)]")
                }
            }
        }
    }

    @Test("CSV → Table → CSV is byte-identical for CSV in the writer's form")
    func csvBytes() throws {
        let csv = CSVWriter.write(try Self.sample())
        var options = CSVOptions()
        options.schema = ["city": .category]
        let (table, _) = try csv.withUnsafeBytes { try CSVReader.read(bytes: $0, file: "sample.csv", options: options) }
        #expect(CSVWriter.write(table) == csv)
        #expect(String(decoding: csv.prefix(60), as: UTF8.self).hasPrefix("firm,city,year,value,export\n0042,南京,2002,0.1,true\n"))
    }

    @Test("every double's shortest and 17-digit spellings read back bit for bit; what strtod would half-read stays text")
    func doubleSpellings() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0.1, 0.30000000000000004, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 9007199254740993, 123456789012345678]
        while values.count < 5000 {
            let value = Double(bitPattern: generator.next())
            if value.isFinite { values.append(value) }
        }
        // Plain decimals of up to 17 digits, as pandas writes them (0.4951489663694814).
        for scale in [1e-4, 1e-2, 1.0, 100.0, 1e6, 1e12] {
            for _ in 0..<2000 { values.append(Double.random(in: 0..<scale, using: &generator)) }
        }
        let spellings = values.flatMap { [$0.description, String(format: "%.17g", $0), String(format: "%.17e", $0)] }
        let csv = "x\n" + spellings.joined(separator: "\n") + "\n"
        let (table, _) = try CSVReader.read(text: csv, file: "doubles.csv")
        let column = try #require(table["x"])
        #expect(column.type == .double)
        for (row, spelling) in spellings.enumerated() {
            guard case let .double(read) = column[row] else { Issue.record("row \(row) \(spelling) is not a double"); continue }
            #expect(read.bitPattern == values[row / 3].bitPattern, "\(spelling) read as \(read)")
        }
        for text in ["0x1p3", "inf", "1.5e", "1e5x", "--1", "1.5.2"] {
            let (words, _) = try CSVReader.read(text: "x\n\(text)\n2.5\n", file: "words.csv")
            #expect(words["x"]!.type == .string, "\(text) was read as a number")
        }
        // nan, like NaN, is a missing value (issue 19: the two spellings were read differently).
        let (nan, _) = try CSVReader.read(text: "x\nnan\n2.5\n", file: "words.csv")
        #expect(nan["x"]!.type == .double && nan["x"]![0] == .missing)
    }
}
