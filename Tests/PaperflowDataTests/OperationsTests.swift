import PaperflowData
import Testing

@Suite("Table operations")
struct OperationsTests {
    /// Exports by city and year, with a missing value and a missing city.
    static func exports() throws -> Table {
        try Table([
            ("city", Column(category: ["南京", "苏州", "南京", "无锡", nil, "苏州"])),
            ("year", Column(int64: [2002, 2002, 2003, 2003, 2003, 2003])),
            ("value", Column(double: [1.5, 2.0, nil, 4.0, 5.0, 6.5])),
            ("hs6", Column(string: ["010110", "852520", "010110", "271000", "852520", "852520"])),
        ])
    }

    static let empty = try! Table([("a", Column(int64: [])), ("b", Column(string: []))])

    @Test("select, rename, derive, filter by predicate and by membership")
    func basics() throws {
        let table = try Self.exports()
        #expect(try table.selecting(["year", "city"]).names == ["year", "city"])
        #expect(throws: TableError.self) { try table.selecting(["town"]) }
        #expect(try table.renaming(["value": "exports"]).names == ["city", "year", "exports", "hs6"])
        let logged = try table.deriving("double_value", type: .double) { row in
            if case let .double(v) = row[2] { return .double(v * 2) } else { return .missing }
        }
        #expect(logged["double_value"]!.values == [.double(3), .double(4), .missing, .double(8), .double(10), .double(13)])
        let big = table.filtering { row in if case let .double(v) = row[2] { return v > 3 } else { return false } }
        #expect(big["value"]!.values == [.double(4), .double(5), .double(6.5)])
        let inSet = try table.filtering("hs6", in: [.string("010110")])
        #expect(inSet["year"]!.values == [.int64(2002), .int64(2003)])
        #expect(inSet["city"]!.values == [.string("南京"), .string("南京")])
        #expect(try Self.empty.filtering("a", in: [.int64(1)]).rowCount == 0)
    }

    @Test("sort: multi-key, stable, missing last in either direction")
    func sorting() throws {
        let table = try Self.exports()
        let sorted = try table.sorted(by: [SortKey("year", ascending: false), SortKey("value")])
        #expect(sorted["value"]!.values == [.double(4), .double(5), .double(6.5), .missing, .double(1.5), .double(2)])
        let byCity = try table.sorted(by: [SortKey("city")])
        // 南京 (U+5357) < 无锡 (U+65E0) < 苏州 (U+82CF); equal cities keep their order (rows 0, 2 and 1, 5).
        #expect(byCity["city"]!.values == [.string("南京"), .string("南京"), .string("无锡"), .string("苏州"), .string("苏州"), .missing])
        #expect(byCity["year"]!.values == [.int64(2002), .int64(2003), .int64(2003), .int64(2002), .int64(2003), .int64(2003)])
        #expect(try Self.empty.sorted(by: [SortKey("a")]).rowCount == 0)
    }

    @Test("group-by: sum, mean, count, min, max, first, distinct count; missing keys form a group")
    func grouping() throws {
        let table = try Self.exports()
        let byYear = try table.grouped(by: ["year"], [
            Aggregation("value", .sum), Aggregation("value", .mean), Aggregation("value", .count),
            Aggregation("value", .min), Aggregation("value", .max), Aggregation("hs6", .first),
            Aggregation("hs6", .distinctCount), Aggregation("year", .sum, as: "year_total"),
        ])
        #expect(byYear.names == ["year", "value_sum", "value_mean", "value_count", "value_min", "value_max", "hs6_first",
                                 "hs6_distinct_count", "year_total"])
        #expect(byYear["year"]!.values == [.int64(2002), .int64(2003)])
        #expect(byYear["value_sum"]!.values == [.double(3.5), .double(15.5)])
        #expect(byYear["value_mean"]!.values == [.double(1.75), .double(15.5 / 3)])
        #expect(byYear["value_count"]!.values == [.int64(2), .int64(3)])
        #expect(byYear["value_min"]!.values == [.double(1.5), .double(4)])
        #expect(byYear["value_max"]!.values == [.double(2), .double(6.5)])
        #expect(byYear["hs6_first"]!.values == [.string("010110"), .string("010110")])
        #expect(byYear["hs6_distinct_count"]!.values == [.int64(2), .int64(3)])
        #expect(byYear["year_total"]!.values == [.int64(4004), .int64(8012)])
        let byCity = try table.grouped(by: ["city"], [Aggregation("value", .count)])
        #expect(byCity["city"]!.values == [.string("南京"), .string("苏州"), .string("无锡"), .missing])
        #expect(byCity["value_count"]!.values == [.int64(1), .int64(2), .int64(1), .int64(1)])
        #expect(throws: TableError.self) { try table.grouped(by: ["year"], [Aggregation("hs6", .sum)]) }
        #expect(try Self.empty.grouped(by: ["b"], [Aggregation("a", .sum)]).rowCount == 0)
    }

    @Test("join: inner and left, several keys, duplicates repeat, missing keys never match")
    func joins() throws {
        let left = try Self.exports()
        let regions = try Table([
            ("city", Column(string: ["南京", "苏州", "苏州", nil])),
            ("region", Column(string: ["south", "south", "south-east", "nowhere"])),
        ])
        let inner = try left.joined(with: regions, on: ["city"])
        #expect(inner["year"]!.values == [.int64(2002), .int64(2002), .int64(2002), .int64(2003), .int64(2003), .int64(2003)])
        #expect(inner["region"]!.values == [.string("south"), .string("south"), .string("south-east"), .string("south"),
                                            .string("south"), .string("south-east")])
        let outer = try left.joined(with: regions, on: ["city"], kind: .left)
        #expect(outer.rowCount == 8)
        #expect(outer["region"]!.values.filter { $0 == .missing }.count == 2)
        let twoKeys = try Table([("city", Column(string: ["南京"])), ("year", Column(int64: [2003])), ("value", Column(double: [9]))])
        let joined = try left.joined(with: twoKeys, on: ["city", "year"])
        #expect(joined.names == ["city", "year", "value", "hs6", "value_right"])
        #expect(joined["value_right"]!.values == [.double(9)])
        #expect(try Self.empty.joined(with: Self.empty, on: ["a"]).rowCount == 0)
    }

    @Test("concatenate, unique, quantiles")
    func concatUniqueQuantiles() throws {
        let table = try Self.exports()
        let twice = try Table.concatenating([table, table])
        #expect(twice.rowCount == 12)
        #expect(try twice.unique().rowCount == 6)
        #expect(try table.unique(["hs6"])["hs6"]!.values == [.string("010110"), .string("852520"), .string("271000")])
        #expect(throws: TableError.self) { try Table.concatenating([table, Self.empty]) }
        // numpy.quantile([1.5, 2, 4, 5, 6.5], [0, .25, .5, .9, 1]) == [1.5, 2, 4, 5.9, 6.5]
        let q = try table.quantiles("value", [0, 0.25, 0.5, 0.9, 1])
        #expect(q.count == 5)
        for (value, expected) in zip(q, [1.5, 2, 4, 5.9, 6.5]) { #expect(abs(value! - expected) < 1e-12) }
        #expect(try Self.empty.quantiles("a", [0.5]) == [nil])
        #expect(throws: TableError.self) { try table.quantiles("hs6", [0.5]) }
    }

    @Test("pivot long → wide → long")
    func pivots() throws {
        let long = try Table([
            ("province", Column(string: ["北京", "北京", "上海", "上海", "江苏"])),
            ("year", Column(string: ["2022", "2023", "2022", "2023", "2023"])),
            ("rd", Column(double: [6.8, 6.7, 4.4, 4.3, 3.3])),
        ])
        let wide = try long.pivotWider(index: ["province"], namesFrom: "year", valuesFrom: "rd")
        #expect(wide.names == ["province", "2022", "2023"])
        #expect(wide["2022"]!.values == [.double(6.8), .double(4.4), .missing])
        let back = try wide.pivotLonger(["2022", "2023"], namesTo: "year", valuesTo: "rd")
        #expect(back.rowCount == 6)
        #expect(back["rd"]!.values == [.double(6.8), .double(6.7), .double(4.4), .double(4.3), .missing, .double(3.3)])
        #expect(throws: TableError.self) {
            try Table.concatenating([long, long]).pivotWider(index: ["province"], namesFrom: "year", valuesFrom: "rd")
        }
    }
}
