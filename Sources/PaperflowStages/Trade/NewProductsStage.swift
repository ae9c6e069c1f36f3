import Foundation
import PaperflowCore
import PaperflowData

/// `trade.new-products`: products a unit exports in year t that it never exported from the base
/// year to t − 1 — liu-zhu-2021's `newexport_{f,t}` = log of their number (2002 the base year).
public struct NewProductsStage: Stage {
    public static let id = "trade.new-products"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "First-time exports relative to a base year: each unit-year's count of new products (and its log), and a flag per cell.",
        documentation: """
            A product is exported when its value is positive. The base year only builds the
            history (nothing is new in it); years before it are ignored. A unit first seen after
            the base year has every product new. transform: log1p (default; log(1 + n), defined
            for units with nothing new), log (missing when n = 0, as log 0 is undefined), or
            none. Years must be whole numbers.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, year, value (exports)")],
        outputs: [PortSpec("units", kind: .table, fileName: "new-products.pftable", summary: "unit, year, products, new_products, newexport"),
                  PortSpec("cells", kind: .table, fileName: "new-cells.pftable", summary: "unit, product, year, new")],
        params: [
            ParamSpec("unit", .string, default: .string("firm"), summary: "column: the exporter"),
            ParamSpec("product", .string, default: .string("product"), summary: "column: the product"),
            ParamSpec("year", .string, default: .string("year"), summary: "column: the year"),
            ParamSpec("value", .string, default: .string("value"), summary: "column: the export value"),
            ParamSpec("base_year", .int, required: true, summary: "first year of the history"),
            ParamSpec("transform", .oneOf(["log1p", "log", "none"]), default: .string("log1p"), summary: "how newexport is made from the count"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.table()
        let unitName = context.string("unit")!, productName = context.string("product")!, yearName = context.string("year")!
        let (units, unitLevels) = try table.column(unitName, for: "unit").levelCodes()
        let (products, productLevels) = try table.column(productName, for: "product").levelCodes()
        let years = try table.numbers(yearName, for: "year", hint: "it must hold whole years")
        let values = try table.numbers(context.string("value")!, for: "value")
        let base = Double(context.int("base_year")!)
        for row in 0..<table.rowCount {
            if units[row] < 0 || products[row] < 0 { throw StageFailure("row \(row + 1) has no \(units[row] < 0 ? unitName : productName)") }
            if years[row].isNaN || years[row] != years[row].rounded() { throw StageFailure("row \(row + 1): \(yearName) is not a whole year") }
        }
        // Rows of exports from the base year on, by unit then year.
        let rows = (0..<table.rowCount).filter { years[$0] >= base && values[$0] > 0 }
            .sorted { (units[$0], years[$0], products[$0]) < (units[$1], years[$1], products[$1]) }
        var unitOut: [Int32] = [], yearOut: [Int64] = [], counts: [Int64] = [], newCounts: [Int64] = [], transformed: [Double?] = []
        var cellUnits: [Int32] = [], cellProducts: [Int32] = [], cellYears: [Int64] = [], cellNew: [Bool] = []
        let transform = context.string("transform")!
        var start = 0
        var history = Set<Int32>()
        while start < rows.count {
            let unit = units[rows[start]], year = years[rows[start]]
            var end = start
            while end < rows.count && units[rows[end]] == unit && years[rows[end]] == year { end += 1 }
            if start == 0 || units[rows[start - 1]] != unit { history.removeAll(keepingCapacity: true) }
            let exported = Set(rows[start..<end].map { products[$0] })
            if year > base {
                let fresh = exported.subtracting(history)
                unitOut.append(unit); yearOut.append(Int64(year)); counts.append(Int64(exported.count)); newCounts.append(Int64(fresh.count))
                let n = Double(fresh.count)
                transformed.append(transform == "log1p" ? log1p(n) : transform == "log" ? (n > 0 ? log(n) : nil) : n)
                for product in exported.sorted() {
                    cellUnits.append(unit); cellProducts.append(product); cellYears.append(Int64(year)); cellNew.append(fresh.contains(product))
                }
            }
            history.formUnion(exported)
            start = end
        }
        let unitNames = StringStorage(unitLevels.map(\.description)), productNames = StringStorage(productLevels.map(\.description))
        let unitTable = try Table([(unitName, Column(storage: .category(codes: unitOut, dictionary: unitNames))), (yearName, Column(int64: yearOut)),
                                   ("products", Column(int64: counts)), ("new_products", Column(int64: newCounts)), ("newexport", Column(double: transformed))])
        let cellTable = try Table([(unitName, Column(storage: .category(codes: cellUnits, dictionary: unitNames))),
                                   (productName, Column(storage: .category(codes: cellProducts, dictionary: productNames))),
                                   (yearName, Column(int64: cellYears)), ("new", Column(bool: cellNew))])
        return ["units": unitTable.artifact, "cells": cellTable.artifact]
    }
}
