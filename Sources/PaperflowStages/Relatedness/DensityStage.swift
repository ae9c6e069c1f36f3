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
            density (missing), as in ecomplexity.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]: the presence that makes φ"),
                 PortSpec("presence", kind: .table, optional: true, summary: "unit, product, value[, year]: x (e.g. imports); default: the table's presence")],
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
        var years: [(year: Value?, count: Int)] = [], cells = DensityCells()
        for slice in input.slices {
            let presence = PresenceRule.presence(slice, context)
            let space = ProductSpace(presence, diagonal: context.string("diagonal") == "zero" ? .zero : .one)
            let x: Presence
            if let external {
                guard let own = external.slices.first(where: { a in
                    // Years match as numbers: 2005 and 2005.0 are the same year.
                    switch (a.year, slice.year) {
                    case let (x?, y?): return x.matches(y)
                    case (nil, nil): return true
                    default: return false
                    }
                }) else { continue }
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
                x = Presence(productCount: input.products.count, rowStarts: starts, products: mapped)
            } else {
                x = presence
            }
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
}
