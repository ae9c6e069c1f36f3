import Foundation
@testable import PaperflowData
import PaperflowTestSupport
import PropertyBased
import Testing

/// The parallel CSV reader (chunks split at record boundaries, parsed at once, assembled) must
/// give the very table — and the very errors — that one sequential pass gives. Small files are
/// split into many chunks here by lowering the minimum chunk size.
@Suite("CSV reader in parallel chunks")
struct ParallelReadTests {
    static func options(threads: Int, _ configure: (inout CSVOptions) -> Void = { _ in }) -> CSVOptions {
        var options = CSVOptions()
        options.threads = threads
        options.minimumChunkBytes = 1
        configure(&options)
        return options
    }

    static func read(_ text: String, threads: Int, _ configure: (inout CSVOptions) -> Void = { _ in }) throws -> (Table, CSVReport) {
        try CSVReader.read(text: text, file: "t.csv", options: options(threads: threads, configure))
    }

    @Test("random quoted text, numbers and missing values: every split gives the sequential table")
    func randomDocuments() async {
        let cell = Gen<Character?>.element(of: PropertyTests.alphabet).map { $0! }.string(of: 0...5)
        let number = Gen.int64(in: -999...999)
        await propertyCheck(count: 200, input: cell.array(of: 1...40), number.array(of: 1...40)) { texts, numbers in
            let rows = min(texts.count, numbers.count)
            let table = try! Table([
                ("text", Column(string: Array(texts.prefix(rows)))),
                ("n", Column(int64: numbers.prefix(rows).map { $0 % 7 == 0 ? nil : $0 })),
            ])
            let csv = String(decoding: CSVWriter.write(table), as: UTF8.self)
            let sequential = try? Self.read(csv, threads: 1) { $0.schema = ["text": .string] }
            for threads in [2, 3, 8] {
                let parallel = try? Self.read(csv, threads: threads) { $0.schema = ["text": .string] }
                #expect(parallel?.0 == sequential?.0, "\(threads) threads:\n\(csv)")
                #expect(parallel?.1 == sequential?.1)
            }
            #expect(sequential?.0["text"]?.values == table["text"]!.values)
        }
    }

    @Test("blank lines, CRLF and line breaks inside quotes at chunk boundaries")
    func boundaries() throws {
        var text = "city,note,value\r\n"
        for row in 0..<300 {
            text += row % 17 == 0 ? "\r\n" : ""
            text += "c\(row % 5),\"line\nbreak \"\"\(row)\"\"\",\(row).5\r\n"
        }
        let (sequential, report) = try Self.read(text, threads: 1)
        #expect(sequential.rowCount == 300)
        #expect(sequential["note"]![299] == .string("line\nbreak \"299\""))
        for threads in [2, 4, 16] {
            let (parallel, parallelReport) = try Self.read(text, threads: threads)
            #expect(parallel == sequential)
            #expect(parallelReport == report)
        }
    }

    @Test("a stray quote inside an unquoted field misleads the split; the reader notices and reads sequentially")
    func strayQuote() throws {
        // `5"` makes the quote count odd: every later boundary is guessed to lie inside quotes.
        var text = "a,b\n"
        for row in 0..<200 { text += row == 3 ? "5\",x\n" : "\(row),y\(row)\n" }
        let (sequential, _) = try Self.read(text, threads: 1)
        #expect(sequential.rowCount == 200)
        #expect(sequential["a"]![3] == .string("5\""))
        let (parallel, _) = try Self.read(text, threads: 4)
        #expect(parallel == sequential)
    }

    @Test("malformed files give the same error at the same line and column in parallel")
    func errors() throws {
        for (file, schema) in [("bad-value.csv", ["year": DataType.int64]), ("wrong-field-count.csv", [:]),
                               ("unterminated-quote.csv", [:]), ("text-after-quote.csv", [:]), ("bad-after-newline.csv", ["year": .int64])] {
            let url = Fixtures.url("csv/\(file)")
            func error(threads: Int) -> CSVError? {
                do {
                    _ = try CSVReader.read(contentsOf: url, displayPath: file, options: Self.options(threads: threads) { $0.schema = schema })
                    return nil
                } catch {
                    return error as? CSVError
                }
            }
            let sequential = error(threads: 1)
            #expect(sequential != nil, "\(file) should fail")
            #expect(error(threads: 4) == sequential, "\(file)")
        }
    }

    @Test("skipped rows are counted the same, and a later chunk can widen a column")
    func skipsAndWidening() throws {
        var text = "id,year,x\n"
        for row in 0..<500 { text += "\(row),\(row == 250 ? "20x" : "2001"),\(row == 480 ? "1.5" : "1")\n" }
        let configure: (inout CSVOptions) -> Void = { $0.schema = ["year": .int64]; $0.badRows = .skip; $0.inferenceRows = 100 }
        let (sequential, report) = try Self.read(text, threads: 1, configure)
        #expect(sequential.rowCount == 499)
        #expect(report.skippedExamples == ["252:5: '20x' in column 'year' is not an integer"])
        #expect(report.types["x"] == .double)
        let (parallel, parallelReport) = try Self.read(text, threads: 4, configure)
        #expect(parallel == sequential)
        #expect(parallelReport == report)
    }

    @Test("a text column that repeats its values is read as a category; unique ids stay strings")
    func categoryInference() throws {
        var text = "firm,city,year\n"
        let cities = ["北京市", "上海市", "苏州市"]
        for row in 0..<1_200 { text += "\(String(format: "%06d", row)),\(row % 50 == 0 ? "NA" : cities[row % 3]),y\(2000 + row % 4)\n" }
        let (table, report) = try Self.read(text, threads: 3)
        #expect(report.types == ["firm": .string, "city": .category, "year": .category])
        guard case let .category(codes, dictionary) = table["city"]!.storage else { Issue.record("city is not a category"); return }
        // Row 0 is missing (code 0 as a placeholder); then first appearance: 上海, 苏州, 北京.
        #expect((0..<dictionary.count).map { dictionary[$0] } == ["上海市", "苏州市", "北京市"])
        #expect(Array(codes.prefix(4)) == [0, 0, 1, 2])
        #expect(table["city"]![0] == .missing)
        #expect(table["city"]![3] == .string("北京市"))
        var options = Self.options(threads: 1)
        options.inferCategories = false
        #expect(try CSVReader.read(text: text, options: options).1.types["city"] == .string)
    }

    @Test("long category values that share their first and last bytes stay apart; a skipped row leaves no dictionary entry")
    func categoryDictionary() throws {
        var text = "firm,year\n"
        for row in 0..<1_500 { text += "Shanghai \(row % 40) Trading Co.,\(row == 700 ? "20x" : "2001")\n" }
        text += "Shanghai only-in-a-bad-row Trading Co.,bad\n"
        let configure: (inout CSVOptions) -> Void = { $0.schema = ["year": .int64]; $0.badRows = .skip }
        for threads in [1, 4] {
            let (table, report) = try Self.read(text, threads: threads, configure)
            #expect(report.skippedRows == 2)
            guard case let .category(_, dictionary) = table["firm"]!.storage else { Issue.record("firm is not a category"); return }
            #expect((0..<dictionary.count).map { dictionary[$0] } == (0..<40).map { "Shanghai \($0) Trading Co." })
            #expect(table["firm"]![41] == .string("Shanghai 1 Trading Co."))
        }
    }
}
