import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// A long table of (unit, product, value[, year]) read into one trade matrix per year, with the
/// checks every relatedness stage needs: values present and non-negative, each unit–product cell
/// once per year, and product codes that are text (an HS or SITC code read as a number has lost
/// its leading zeros: 0101 became 101).
struct TradeInput {
    /// One year's matrix; `year` is nil without a year column.
    struct Slice {
        var year: Value?
        var matrix: TradeMatrix
    }

    var units: [String]
    var products: [String]
    var slices: [Slice]
    var unitColumn: String, productColumn: String, yearColumn: String?
    /// Whether the unit column is text (string or category): its values match other tables' by text.
    var unitsAreText: Bool
    /// Product codes zero-padded on the way in (a reported fix), and how many rows.
    var paddedRows = 0

    static let params = [
        ParamSpec("unit", .string, default: .string("unit"), summary: "column: the unit (country, city, firm)"),
        ParamSpec("product", .string, default: .string("product"), summary: "column: the product (HS or SITC code, industry)"),
        ParamSpec("value", .string, default: .string("value"), summary: "column: the value (exports, employment)"),
        ParamSpec("year", .string, default: .string(""), summary: "column: the year (each year computed on its own)"),
        ProductCodes.padParam,
    ]

    /// What a trade input is read from: the table's bytes and the parameters that shape it.
    struct ReadKey: Hashable {
        var digest: Digest
        var unit: String, product: String, value: String, year: String
        var pad: Int64
    }

    /// Trade inputs read in this process: up to four, within an eighth of the memory a stage may plan for.
    static let memo = ReadMemo<ReadKey, TradeInput>(budget: memoryLimit() / 8, capacity: 4) { $0.bytes }

    /// The trade input of `port`, read once per process for each table and set of columns
    /// (`memo`): a run's rca, proximity and density of one panel encode it once.
    /// - Parameter unit: the unit column when not the `unit` parameter's.
    init(_ context: StageContext, port: String = "table", unit: String? = nil) throws {
        let key = ReadKey(digest: try context.input(port).digest, unit: unit ?? context.string("unit")!, product: context.string("product")!,
                            value: context.string("value")!, year: context.string("year")!, pad: context.int("pad_product")!)
        self = try Self.memo.value(key) { try TradeInput(reading: context, port: port, unit: unit) }
    }

    /// Reads the trade input of `port`.
    init(reading context: StageContext, port: String, unit: String?) throws {
        let table = try context.table(port)
        unitColumn = unit ?? context.string("unit")!
        productColumn = context.string("product")!
        let year = context.string("year")!
        yearColumn = year.isEmpty ? nil : year
        let unitValues = try table.column(unitColumn, for: "unit")
        unitsAreText = Self.isText(unitValues)
        let productValues: Column
        (productValues, paddedRows) = try ProductCodes.text(try table.column(productColumn, for: "product"), named: productColumn,
                                                            rowCount: table.rowCount, pad: Int(context.int("pad_product")!))
        guard let values = try table.column(context.string("value")!, for: "value").numericValues() else {
            throw StageFailure("value column '\(context.string("value")!)' is text; it must hold numbers")
        }
        let unitCodes = unitValues.levelCodes(), productCodes = productValues.levelCodes()
        units = unitCodes.levels.map(\.description)
        products = productCodes.levels.map(\.description)
        for (name, codes) in [(unitColumn, unitCodes.codes), (productColumn, productCodes.codes)] {
            if let row = codes.firstIndex(where: { $0 < 0 }) { throw StageFailure("row \(row + 1) has no \(name)") }
        }
        if let row = values.firstIndex(where: \.isNaN) {
            throw StageFailure("row \(row + 1) has no \(context.string("value")!); fill it in (0 for no trade) or filter the row out")
        }
        var yearRows: [(Value?, [Int])] = [(nil, Array(0..<table.rowCount))]
        if let yearColumn {
            let (codes, levels) = try table.column(yearColumn, for: "year").levelCodes()
            if let row = codes.firstIndex(where: { $0 < 0 }) { throw StageFailure("row \(row + 1) has no \(yearColumn)") }
            var rows = [[Int]](repeating: [], count: levels.count)
            for (row, code) in codes.enumerated() { rows[Int(code)].append(row) }
            yearRows = zip(levels, rows).map { ($0, $1) }
        }
        let unitName = unitColumn, productName = productColumn, yearName = yearColumn ?? "", valueName = context.string("value")!
        slices = try yearRows.map { year, rows in
            do {
                return Slice(year: year, matrix: try TradeMatrix(unitCount: unitCodes.levels.count, productCount: productCodes.levels.count,
                                                                 units: rows.map { unitCodes.codes[$0] }, products: rows.map { productCodes.codes[$0] },
                                                                 values: rows.map { values[$0] }))
            } catch let error as TradeMatrix.InputError {
                switch error {
                case let .duplicate(unit, product, first, second):
                    throw StageFailure("rows \(rows[first] + 1) and \(rows[second] + 1) are both \(unitName) \(unitCodes.levels[unit]), \(productName) \(productCodes.levels[product])\(year.map { ", \(yearName) \($0)" } ?? ""); aggregate them first or drop the duplicate")
                case let .invalidValue(row, value):
                    throw StageFailure("row \(rows[row] + 1): \(valueName) is \(value); values must be zero or positive")
                }
            }
        }
    }

    /// About the bytes this input holds: each year's cells (product, value) and row starts, and the codes' text.
    var bytes: Double {
        let cells = slices.reduce(0) { $0 + $1.matrix.products.count * 12 + $1.matrix.rowStarts.count * 8 }
        return Double(cells + (units.count + products.count) * 48)
    }

    /// The memory a stage may plan for: this machine's, or `PAPERFLOW_MEMORY_LIMIT` bytes.
    static func memoryLimit() -> Double {
        ProcessInfo.processInfo.environment["PAPERFLOW_MEMORY_LIMIT"].flatMap(Double.init) ?? Double(ProcessInfo.processInfo.physicalMemory)
    }

    /// A year's report entry: the units and products without any value (they have no RCA or LQ).
    func withoutValue(_ slice: Slice) -> ParamValue {
        let unitTotals = slice.matrix.unitTotals, productTotals = slice.matrix.productTotals
        return .map([
            "year": slice.year.map { .string($0.description) } ?? .null,
            "units_without_value": .list(unitTotals.indices.filter { unitTotals[$0] == 0 }.map { .string(units[$0]) }),
            "products_without_value": .list(productTotals.indices.filter { productTotals[$0] == 0 }.map { .string(products[$0]) }),
        ])
    }

    /// Leading columns (year if any, then the given key columns) for output rows.
    func yearColumn(_ years: [Value?]) -> [(String, Column)] {
        guard let yearColumn else { return [] }
        return [(yearColumn, (try? Column(values: years.map { $0 ?? .missing }, type: years.compactMap { $0 }.first.map(Self.type) ?? .int64))
                 ?? Column(string: years.map { $0?.description }))]
    }

    /// The year column for output laid out in runs — `count` rows of each year in turn — gathered
    /// from the few distinct years rather than a boxed value per row (a firm panel has tens of
    /// millions of rows).
    func yearColumn(runs: [(year: Value?, count: Int)]) -> [(String, Column)] {
        guard let name = yearColumn(runs.map(\.year)).first else { return [] }
        if case let .int64(years) = name.1.storage, name.1.validity == nil {
            var values: [Int64] = []
            values.reserveCapacity(runs.reduce(0) { $0 + $1.count })
            for (index, run) in runs.enumerated() { values.append(contentsOf: repeatElement(years[index], count: run.count)) }
            return [(name.0, Column(storage: .int64(values)))]
        }
        var rows: [Int] = []
        rows.reserveCapacity(runs.reduce(0) { $0 + $1.count })
        for (index, run) in runs.enumerated() { rows.append(contentsOf: repeatElement(index, count: run.count)) }
        return [(name.0, name.1.take(rows))]
    }

    /// Whether a column holds text (a string column, or a category of strings).
    static func isText(_ column: Column) -> Bool { column.type == .string || column.type == .category }

    static func type(_ value: Value) -> DataType {
        switch value {
        case .int64: return .int64
        case .double: return .double
        case .bool: return .bool
        default: return .string
        }
    }

    /// A category column of `codes` into `levels` (unit or product indices), built without
    /// hashing a string per row.
    static func category(_ codes: [Int32], _ levels: [String]) -> Column {
        Column(storage: .category(codes: codes, dictionary: StringStorage(levels)))
    }

    /// The presence threshold from the shared parameters.
    static let thresholdParams = [
        ParamSpec("threshold", .double, default: .double(1), summary: "RCA threshold for presence"),
        ParamSpec("rule", .oneOf(["at-least", "above"]), default: .string("at-least"),
                  summary: "at-least: RCA ≥ threshold (ecomplexity, economiccomplexity, EconGeo); above: RCA > threshold (the Stata original)"),
    ]

    static func threshold(_ context: StageContext) -> Presence.Threshold {
        let value = context.double("threshold")!
        return context.string("rule") == "above" ? .above(value) : .atLeast(value)
    }
}
