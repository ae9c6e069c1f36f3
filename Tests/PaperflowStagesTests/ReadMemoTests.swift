import Foundation
@testable import PaperflowStages
import PaperflowData
import PaperflowTestSupport
import Testing

@Suite("Inputs read once per process (ReadMemo)")
struct ReadMemoTests {
    struct Failure: Error, Equatable {}

    @Test("a value is read once per key and kept; another key is read; the least recently used goes first past the capacity")
    func keptByKey() throws {
        let memo = ReadMemo<String, [Int]>(budget: 1_000, capacity: 2) { Double($0.count) }
        #expect(try memo.value("a") { [1] } == [1])
        #expect(try memo.value("a") { Issue.record("read again"); return [] } == [1])
        #expect(try memo.value("b") { [2] } == [2])
        #expect(memo.reads == 2)
        _ = try memo.value("a") { [] }  // a is now the most recent
        #expect(try memo.value("c") { [3] } == [3])
        #expect(memo.keys == ["a", "c"])
        #expect(memo.reads == 3)
    }

    @Test("values beyond the budget are let go (the oldest first); one larger than the budget is not kept")
    func budget() throws {
        let memo = ReadMemo<String, [Int]>(budget: 100, capacity: 8) { Double($0.count) }
        _ = try memo.value("a") { Array(repeating: 0, count: 60) }
        _ = try memo.value("b") { Array(repeating: 0, count: 60) }
        #expect(memo.keys == ["b"])
        _ = try memo.value("huge") { Array(repeating: 0, count: 101) }
        #expect(memo.keys == ["b"])
        #expect(try memo.value("huge") { [7] } == [7])
        #expect(memo.reads == 4)
    }

    @Test("a failed read is not kept: the next caller reads again and gets the same error")
    func failures() throws {
        let memo = ReadMemo<String, [Int]>(budget: 100, capacity: 2) { Double($0.count) }
        #expect(throws: Failure.self) { try memo.value("a") { throw Failure() } }
        #expect(memo.keys.isEmpty)
        #expect(throws: Failure.self) { try memo.value("a") { throw Failure() } }
        #expect(try memo.value("a") { [1] } == [1])
        #expect(memo.reads == 3)
    }

    @Test("callers wanting one key at once: one reads, the others wait for its value")
    func concurrent() throws {
        let memo = ReadMemo<String, [Int]>(budget: 100, capacity: 2) { Double($0.count) }
        let results = UnsafeMutableBufferPointer<[Int]>.allocate(capacity: 8)
        results.initialize(repeating: [])
        defer { results.deinitialize().deallocate() }
        nonisolated(unsafe) let shared = results
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            shared[index] = (try? memo.value("a") {
                Thread.sleep(forTimeInterval: 0.05)
                return [42]
            }) ?? []
        }
        #expect(Array(results) == Array(repeating: [42], count: 8))
        #expect(memo.reads == 1)
    }

    @Test("the stages of a run that read one table by different columns get each their own input (the memo's key is table and columns)")
    func stagesByColumns() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        _ = try project.write("data/trade.csv", "unit,product,exports,imports\nA,0101,5,1\nA,0102,1,9\nB,0101,2,4\nB,0102,8,1\n")
        _ = try project.writeWorkflow("r", stages: """
            trade: {uses: io.csv@2, with: {path: data/trade.csv, schema: {product: string}}}
            exports: {uses: relatedness.rca@1, inputs: {table: trade.table}, with: {value: exports}}
            imports: {uses: relatedness.rca@1, inputs: {table: trade.table}, with: {value: imports}}
            by_product: {uses: relatedness.rca@1, inputs: {table: trade.table}, with: {unit: product, product: unit, value: exports}}
            """)
        #expect(try project.run("Workflows/r.yaml", registry: BuiltinStages.registry).summary.succeeded)
        func values(_ stage: String) throws -> [String] {
            let table = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/r/\(stage)/rca.pftable"))
            return (0..<table.rowCount).map { "\(table[table.names[0]]![$0])|\(table[table.names[1]]![$0])|\(table["value"]![$0])" }
        }
        #expect(try values("exports") == ["A|0101|5.0", "A|0102|1.0", "B|0101|2.0", "B|0102|8.0"])
        #expect(try values("imports") == ["A|0101|1.0", "A|0102|9.0", "B|0101|4.0", "B|0102|1.0"])
        #expect(try values("by_product") == ["0101|A|5.0", "0101|B|2.0", "0102|A|1.0", "0102|B|8.0"])
    }
}
