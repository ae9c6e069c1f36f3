import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `relatedness.density`: the density of each product around each unit,
/// Σ_j x_uj φ_jp / Σ_j φ_jp (Hidalgo et al. 2007; ecomplexity's `calc_density`), per year. x is
/// the units' own presence, or another table's: liu-zhu-2021's density of a firm's exports
/// around its own imports, or its city's.
public struct DensityStage: Stage {
    public static let id = "relatedness.density"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Relatedness density of every product for every unit with presence, per year (either diagonal convention; x from the same or another table).",
        documentation: """
            The proximity is computed from the table's presence (diagonal one or zero). x is
            that same presence, or, with the presence input bound, any positive value there:
            imports by firm (density to the firm's own imports) or by city (trade.aggregate to
            cities first), matched by product code and year. cells: all lists every unit ×
            product; absent lists only products the unit does not have in x. min_density lists
            only cells with density ≥ it (liu-zhu keeps density_firm > 0.05), so a firm panel's
            output stays the size of the cells of interest. A product no unit has has no
            density (missing), as in ecomplexity. With the cells input bound (a table of the
            unit, product[, year] triples a regression needs — e.g. every product a firm exports
            the next year), exactly those cells come out, one row per row of it in its order,
            each costing its unit's product count: a customs panel's densities in the memory of
            the cells asked for, not of every firm × product. A unit with nothing present there
            has density 0; a product or year the table does not have, none (missing).
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]: the presence that makes φ"),
                 PortSpec("presence", kind: .table, optional: true, summary: "unit, product, value[, year]: x (e.g. imports); default: the table's presence"),
                 PortSpec("cells", kind: .table, optional: true, summary: "unit, product[, year]: the cells wanted (default: every cell, as the cells and min_density parameters say)")],
        outputs: [PortSpec("table", kind: .table, fileName: "density.pftable", summary: "[year,] unit, product, presence, density")],
        params: TradeInput.params + TradeInput.thresholdParams + [
            PresenceRule.param,
            ParamSpec("diagonal", .oneOf(["one", "zero"]), default: .string("one"), summary: "φ_ii"),
            ParamSpec("cells", .oneOf(["all", "absent"]), default: .string("all"), summary: "which unit × product cells to list"),
            ParamSpec("min_density", .double, default: .double(-1), summary: "list only cells with density ≥ this (negative: every cell)"),
            ParamSpec("presence_unit", .string, default: .string(""), summary: "presence input column: its unit (\"\": the unit parameter's column)"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let presenceUnit = context.string("presence_unit")!
        let external = context.inputs["presence"]?.isEmpty == false
            ? try TradeInput(context, port: "presence", unit: presenceUnit.isEmpty ? nil : presenceUnit) : nil
        let target = external ?? input
        // x's product codes as indices of φ (codes φ does not know relate to nothing).
        let productIndex = Dictionary(uniqueKeysWithValues: input.products.enumerated().map { ($1, Int32($0)) })
        let toSpace = target.products.map { productIndex[$0] }
        // Rows must stay ascending in φ's order; they do unless the two tables order codes differently.
        let known = toSpace.compactMap { $0 }
        let keepsOrder = zip(known, known.dropFirst()).allSatisfy { $0 < $1 }
        let minimum = context.double("min_density")!
        if context.inputs["cells"]?.isEmpty == false {
            guard minimum < 0, context.string("cells") == "all" else {
                throw StageFailure("with the cells input bound, every cell it lists comes out: leave min_density and the cells parameter at their defaults (filter the output instead)")
            }
            return try chosenCells(context, input: input, target: target, external: external, productIndex: productIndex, toSpace: toSpace,
                                   keepsOrder: keepsOrder)
        }
        if minimum < 0, let yearSpecs = Self.streamedYear(input) {
            return try everyCell(context, input: input, target: target, external: external, toSpace: toSpace, keepsOrder: keepsOrder,
                                 yearSpecs: yearSpecs)
        }
        if minimum < 0 {
            // Every cell of a firm panel with text years (not streamed) may not fit: say so before trying, with the fix.
            let count = Double(input.slices.count) * Double(target.units.count) * Double(input.products.count)
            let bytes = count * Double(Self.bytesPerCell), memory = TradeInput.memoryLimit()
            if bytes > memory / 2 {
                func size(_ bytes: Double) -> String {
                    bytes >= 1_073_741_824 ? String(format: "%.1f GiB", bytes / 1_073_741_824) : String(format: "%.1f MiB", bytes / 1_048_576)
                }
                throw StageFailure(String(format: "every %@ × %@ cell of %d year(s) is %.3g cells, about %@ to hold — more than half of the %@ of memory here; set min_density (liu-zhu-2021 keeps density > 0.05), or bind the cells input with the cells the regression needs",
                                          target.unitColumn, input.productColumn, input.slices.count, count, size(bytes), size(memory)))
            }
        }
        var years: [(year: Value?, count: Int)] = [], cells = DensityCells()
        for slice in input.slices {
            let presence = PresenceRule.presence(slice, context)
            let space = ProductSpace(presence, diagonal: context.string("diagonal") == "zero" ? .zero : .one)
            guard let x = Self.x(for: slice, presence: presence, external: external, toSpace: toSpace, keepsOrder: keepsOrder,
                                 productCount: input.products.count) else { continue }
            let before = cells.units.count
            space.densities(of: x, absentOnly: context.string("cells") == "absent", minimum: minimum < 0 ? nil : minimum, appendingTo: &cells)
            years.append((slice.year, cells.units.count - before))
        }

        // Each column is built and its cells let go before the next: a firm panel's cells are
        // the largest thing this stage holds.
        var columns = input.yearColumn(runs: years)
        columns.append((target.unitColumn, TradeInput.category(cells.units, target.units)))
        cells.units = []
        columns.append((input.productColumn, TradeInput.category(cells.products, input.products)))
        cells.products = []
        columns.append(("presence", Column(storage: .bool(cells.present))))
        cells.present = []
        columns.append(("density", Column(double: cells.values, nanAsMissing: true)))
        cells.values = []
        return ["table": try context.artifact(try Table(columns), fileName: "density.pftable")]
    }

    /// Units whose every-cell rows are made and written together: about four million cells
    /// (70 MB) at a time, whatever the panel's size.
    static let cellsPerChunk = 1 << 22

    /// The year column of a streamed every-cell output (none without a year column); nil when
    /// every cell cannot be streamed to the file: text years, whose length is not known before
    /// their rows.
    static func streamedYear(_ input: TradeInput) -> [BinaryTableStream.ColumnSpec]? {
        let year = input.yearColumn(input.slices.map(\.year))
        if let (_, column) = year.first, TradeInput.isText(column) { return nil }
        return year.map { BinaryTableStream.ColumnSpec(name: $0.0, type: $0.1.type) }
    }

    /// Every cell (or every absent one), written to the output file a range of units at a time:
    /// the stage holds each year's φ and presence and one range's cells, never the panel's cells
    /// (25 bytes each on disk — 138 GB for 300,000 firms × 1,222 products × 15 years). The row
    /// count and whether any density is missing are worked out first, as the file's header
    /// gives them before the rows; the bytes are those of the whole table written at once.
    private func everyCell(_ context: StageContext, input: TradeInput, target: TradeInput, external: TradeInput?, toSpace: [Int32?],
                           keepsOrder: Bool, yearSpecs: [BinaryTableStream.ColumnSpec]) throws -> [String: Artifact] {
        let absentOnly = context.string("cells") == "absent", n = input.products.count
        var years: [(year: Value?, x: Presence, space: ProductSpace)] = []
        var rows = 0, missing = false
        for slice in input.slices {
            let presence = PresenceRule.presence(slice, context)
            let space = ProductSpace(presence, diagonal: context.string("diagonal") == "zero" ? .zero : .one)
            guard let x = Self.x(for: slice, presence: presence, external: external, toSpace: toSpace, keepsOrder: keepsOrder,
                                 productCount: n) else { continue }
            // The kernel lists every product of a unit with something present (but its own, when
            // absentOnly); a product no unit has (Σφ = 0) is listed with no density.
            let listed = (0..<x.unitCount).reduce(0) { $0 + (x.rowStarts[$1] < x.rowStarts[$1 + 1] ? 1 : 0) }
            rows += listed * n - (absentOnly ? x.products.count : 0)
            let unrelated = space.columnSums.indices.filter { !(space.columnSums[$0] > 0) }
            if !unrelated.isEmpty, listed > 0 {
                if absentOnly {
                    var holders = [Int](repeating: 0, count: n)
                    for product in x.products { holders[Int(product)] += 1 }
                    missing = missing || unrelated.contains { holders[$0] < listed }
                } else {
                    missing = true
                }
            }
            years.append((slice.year, x, space))
        }
        let unitLevels = StringStorage(target.units), productLevels = StringStorage(input.products)
        let specs = yearSpecs + [.init(name: target.unitColumn, type: .category, dictionary: unitLevels),
                                 .init(name: input.productColumn, type: .category, dictionary: productLevels),
                                 .init(name: "presence", type: .bool), .init(name: "density", type: .double, hasValidity: missing)]
        let url = context.outputURL("density.pftable")
        do {
            // PAPERFLOW_DISK_ROOM: the bytes the output may take, where the free space understates it (a compressing filesystem).
            let room = ProcessInfo.processInfo.environment["PAPERFLOW_DISK_ROOM"].flatMap(Double.init)
            let stream = try BinaryTableStream(url: url, rows: rows, columns: specs, room: room)
            let unitsPerChunk = max(1, Self.cellsPerChunk / max(n, 1))
            let total = years.reduce(0) { $0 + $1.x.unitCount }
            var done = 0
            for (year, x, space) in years {
                let kernel = space.densityKernel(absentOnly: absentOnly)
                for first in stride(from: 0, to: x.unitCount, by: unitsPerChunk) {
                    if context.cancellation.isCancelled { throw StageFailure("interrupted") }
                    var cells = DensityCells()
                    kernel.cells(of: x, units: first..<min(first + unitsPerChunk, x.unitCount), appendingTo: &cells)
                    var columns = input.yearColumn(runs: [(year, cells.units.count)])
                    columns += [(target.unitColumn, Column(storage: .category(codes: cells.units, dictionary: unitLevels))),
                                (input.productColumn, Column(storage: .category(codes: cells.products, dictionary: productLevels))),
                                ("presence", Column(storage: .bool(cells.present))), ("density", Column(double: cells.values, nanAsMissing: true))]
                    try stream.append(try Table(columns))
                    done += min(unitsPerChunk, x.unitCount - first)
                    context.progress(Double(done) / Double(max(total, 1)))
                }
            }
            try stream.finish()
        } catch let error as BinaryTableFormat.FormatError {
            throw StageFailure("every \(target.unitColumn) × \(input.productColumn) cell: \(error.message); set min_density (liu-zhu-2021 keeps density > 0.05), or bind the cells input with the cells the regression needs")
        }
        return ["table": .file(url)]
    }

    /// Bytes a listed cell takes while the output is built: its unit, product, presence and
    /// density (17 bytes), then the columns made from them (one at a time).
    static let bytesPerCell = 34

    /// x for one year: the table's own presence, or the presence input's row of that year with
    /// its products as indices of φ (`nil`: that input has no such year).
    static func x(for slice: TradeInput.Slice, presence: Presence, external: TradeInput?, toSpace: [Int32?], keepsOrder: Bool,
                  productCount: Int) -> Presence? {
        guard let external else { return presence }
        guard let own = external.slices.first(where: { a in
            // Years match as numbers: 2005 and 2005.0 are the same year.
            switch (a.year, slice.year) {
            case let (x?, y?): return x.matches(y)
            case (nil, nil): return true
            default: return false
            }
        }) else { return nil }
        var starts = [0], mapped = [Int32]()
        starts.reserveCapacity(own.matrix.unitCount + 1)
        mapped.reserveCapacity(own.matrix.products.count)
        for unit in 0..<own.matrix.unitCount {
            for cell in own.matrix.rowStarts[unit]..<own.matrix.rowStarts[unit + 1] {
                if let product = toSpace[Int(own.matrix.products[cell])] { mapped.append(product) }
            }
            if !keepsOrder { mapped[starts.last!...].sort() }
            starts.append(mapped.count)
        }
        return Presence(productCount: productCount, rowStarts: starts, products: mapped)
    }

    /// The cells input's rows, each with its density: its unit, product and year columns as
    /// they came, then presence and density.
    private func chosenCells(_ context: StageContext, input: TradeInput, target: TradeInput, external: TradeInput?,
                             productIndex: [String: Int32], toSpace: [Int32?], keepsOrder: Bool) throws -> [String: Artifact] {
        let wanted = try context.table("cells")
        func column(_ name: String) throws -> Column {
            guard let column = wanted[name] else {
                throw StageFailure("the cells input has no column '\(name)' (its columns: \(wanted.names.joined(separator: ", "))); it lists the wanted cells by the columns of the table input")
            }
            return column
        }
        let unitColumn = try column(target.unitColumn), yearColumn = try input.yearColumn.map(column)
        // Units match by value: 123 (a number) is not the text "0123"; a type that differs would match nothing.
        let cellsText = TradeInput.isText(unitColumn)
        if cellsText != target.unitsAreText {
            throw StageFailure("the cells input's \(target.unitColumn) is \(cellsText ? "text" : "numbers") but the table's is \(target.unitsAreText ? "text" : "numbers"); read both the same way (io.csv schema: {\(target.unitColumn): string})")
        }
        let (productColumn, _) = try ProductCodes.text(try column(input.productColumn), named: input.productColumn, rowCount: wanted.rowCount,
                                                      pad: Int(context.int("pad_product")!))
        // Codes through each column's few distinct values, not a string per row.
        let unitIndex = Dictionary(uniqueKeysWithValues: target.units.enumerated().map { ($1, Int32($0)) })
        let (unitCodes, unitLevels) = unitColumn.levelCodes(), (productCodes, productLevels) = productColumn.levelCodes()
        let unitOf = unitLevels.map { unitIndex[$0.description] ?? -1 }, productOf = productLevels.map { productIndex[$0.description] ?? -1 }
        for (name, codes) in [(target.unitColumn, unitCodes), (input.productColumn, productCodes)] {
            if let row = codes.firstIndex(where: { $0 < 0 }) { throw StageFailure("row \(row + 1) of the cells input has no \(name)") }
        }
        // The wanted rows of each year's slice.
        var rowsOfSlice = [[Int]](repeating: [], count: input.slices.count)
        if let yearColumn {
            let (codes, levels) = yearColumn.levelCodes()
            if let row = codes.firstIndex(where: { $0 < 0 }) { throw StageFailure("row \(row + 1) of the cells input has no \(input.yearColumn!)") }
            let sliceOf = levels.map { level in input.slices.firstIndex { $0.year.map { $0.matches(level) } ?? false } ?? -1 }
            for (row, code) in codes.enumerated() where sliceOf[Int(code)] >= 0 { rowsOfSlice[sliceOf[Int(code)]].append(row) }
        } else {
            rowsOfSlice[0] = Array(0..<wanted.rowCount)
        }
        // A row of a year the table does not have keeps NaN: no φ, no density.
        var density = [Double](repeating: .nan, count: wanted.rowCount), present = [Bool](repeating: false, count: wanted.rowCount)
        for (index, slice) in input.slices.enumerated() where !rowsOfSlice[index].isEmpty {
            let presence = PresenceRule.presence(slice, context)
            let space = ProductSpace(presence, diagonal: context.string("diagonal") == "zero" ? .zero : .one)
            let rows = rowsOfSlice[index]
            let units = rows.map { unitOf[Int(unitCodes[$0])] }, products = rows.map { productOf[Int(productCodes[$0])] }
            // A year the presence input does not have: no x, no density (as the every-cell output has no rows for it).
            guard let x = Self.x(for: slice, presence: presence, external: external, toSpace: toSpace, keepsOrder: keepsOrder,
                                 productCount: input.products.count) else { continue }
            // A unit beyond x's rows (a year it has nothing) has nothing present.
            let inRange = units.map { Int($0) < x.unitCount ? $0 : -1 }
            density.withUnsafeMutableBufferPointer { density in
                present.withUnsafeMutableBufferPointer { present in
                    space.densities(of: x, units: inRange, products: products, positions: rows, density: density, present: present)
                }
            }
        }
        var columns: [(String, Column)] = []
        if let yearColumn { columns.append((input.yearColumn!, yearColumn)) }
        columns += [(target.unitColumn, unitColumn), (input.productColumn, productColumn),
                    ("presence", Column(storage: .bool(present))), ("density", Column(double: density, nanAsMissing: true))]
        return ["table": try context.artifact(try Table(columns), fileName: "density.pftable")]
    }
}
