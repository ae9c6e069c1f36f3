import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// Presence per year from a trade input: RCA against the threshold, or any positive value.
enum PresenceRule {
    static let param = ParamSpec("presence", .oneOf(["rca", "positive"]), default: .string("rca"),
                                 summary: "rca: RCA passes the threshold; positive: any value > 0 (a firm exports it)")

    static func presence(_ slice: TradeInput.Slice, _ context: StageContext) -> Presence {
        if context.string("presence") == "positive" {
            return Presence(slice.matrix, cellValues: slice.matrix.values, threshold: .above(0))
        }
        return Presence(slice.matrix, cellValues: slice.matrix.rca(), threshold: TradeInput.threshold(context))
    }
}

/// The `method` parameter: which `RelatednessMeasure` turns co-occurrence into relatedness.
enum RelatednessMethod {
    static let param = ParamSpec("method", .oneOf(RelatednessMeasure.allCases.map(\.rawValue)), default: .string("hidalgo"), summary: "the relatedness measure")

    static func measure(_ context: StageContext) -> RelatednessMeasure { RelatednessMeasure(rawValue: context.string("method")!)! }
}

/// `relatedness.rca`: Balassa's revealed comparative advantage of every unit–product cell with a
/// value, and presence by the threshold — ecomplexity's and economiccomplexity's `rca` / `mcp`
/// (matched to 1e-9 on the shared fixtures, ties at exactly 1 included).
public struct RCAStage: Stage {
    public static let id = "relatedness.rca"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Balassa RCA and presence (RCA ≥ 1 by default, or > 1) of every unit × product cell with a value, per year.",
        documentation: """
            RCA_up = (x_up / Σ_p x_up) / (Σ_u x_up / Σ_up x_up) (Balassa 1965). Cells without a
            value have RCA 0 and are not listed. A unit or product with no value at all has no
            RCA (ecomplexity leaves it NaN; economiccomplexity 2.0's 0/0 → 1 is not copied); the
            report lists them. Product codes must be text; pad_product zero-pads numeric ones
            and reports how many.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]")],
        outputs: [PortSpec("table", kind: .table, fileName: "rca.pftable", summary: "[year,] unit, product, value, rca, presence"),
                  PortSpec("report", kind: .json, fileName: "rca.json", summary: "units and products without value; padded codes")],
        params: TradeInput.params + TradeInput.thresholdParams
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        var years: [Value?] = [], units: [Int32] = [], products: [Int32] = [], values: [Double] = [], rcas: [Double] = [], present: [Bool] = []
        var empty: [ParamValue] = []
        let threshold = TradeInput.threshold(context)
        for slice in input.slices {
            let matrix = slice.matrix, rca = matrix.rca()
            for unit in 0..<matrix.unitCount {
                for cell in matrix.rowStarts[unit]..<matrix.rowStarts[unit + 1] {
                    years.append(slice.year)
                    units.append(Int32(unit))
                    products.append(matrix.products[cell])
                    values.append(matrix.values[cell])
                    rcas.append(rca[cell])
                    present.append(threshold.holds(rca[cell]))
                }
            }
            empty.append(input.withoutValue(slice))
        }
        let table = try Table(input.yearColumn(years) + [
            (input.unitColumn, TradeInput.category(units, input.units)), (input.productColumn, TradeInput.category(products, input.products)),
            ("value", Column(double: values)), ("rca", Column(double: rcas)), ("presence", Column(bool: present)),
        ])
        let report: ParamValue = .map(["years": .list(empty), "product_codes_padded": .int(Int64(input.paddedRows))])
        return ["table": table.artifact, "report": .bytes(Data(JSONText.pretty(report)))]
    }
}

/// `complexity.eci-pci`: the Economic and Product Complexity Indices (Hidalgo & Hausmann 2009;
/// eigenvector method of Hausmann et al. 2014), per year. Default conventions are ecomplexity's
/// (Python, 0.5.3): ECI z-scored with the population sd, PCI rescaled with ECI's mean and sd,
/// sign by the correlation with diversity; matched to 1e-9 on the 226 × 785 world data.
public struct ComplexityStage: Stage {
    public static let id = "complexity.eci-pci"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "ECI per unit and PCI per product (eigenvector method; ecomplexity's standardisation or R's).",
        documentation: """
            standardization: ecomplexity (default; ECI z-score with ÷N, PCI scaled by ECI's mean
            and sd) or sample (each z-scored with ÷(N − 1), as economiccomplexity;
            Python ECI = R ECI × √(N/(N−1))). Units and products with no presence get no index.
            method: eigenvector (default) or reflections (economiccomplexity's method of
            reflections, ECI at order iterations − 2 and PCI at iterations − 1, each z-scored;
            with 20 iterations it has not converged on small matrices). The fit output's
            eigenvalue is null for reflections.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]")],
        outputs: [PortSpec("units", kind: .table, fileName: "eci.pftable", summary: "[year,] unit, diversity, eci"),
                  PortSpec("products", kind: .table, fileName: "pci.pftable", summary: "[year,] product, ubiquity, pci"),
                  PortSpec("fit", kind: .json, fileName: "complexity.json", summary: "eigenvalue and iterations per year")],
        params: TradeInput.params + TradeInput.thresholdParams + [
            PresenceRule.param,
            ParamSpec("standardization", .oneOf(["ecomplexity", "sample"]), default: .string("ecomplexity"), summary: "how ECI and PCI are scaled"),
            ParamSpec("method", .oneOf(["eigenvector", "reflections"]), default: .string("eigenvector"), summary: "how the indices are found"),
            ParamSpec("iterations", .int, default: .int(20), summary: "reflections: the number of iterations (economiccomplexity's default)"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        var unitYears: [Value?] = [], unitNames: [Int32] = [], diversities: [Int64] = [], ecis: [Double?] = []
        var productYears: [Value?] = [], productNames: [Int32] = [], ubiquities: [Int64] = [], pcis: [Double?] = []
        var fits: [ParamValue] = []
        for slice in input.slices {
            let presence = PresenceRule.presence(slice, context)
            let index: ComplexityIndex
            do {
                let standardization: ComplexityIndex.Standardization = context.string("standardization") == "sample" ? .sample : .ecomplexity
                index = context.string("method") == "reflections"
                    ? try ComplexityIndex(reflections: presence, iterations: Int(context.int("iterations")!), standardization: standardization)
                    : try ComplexityIndex(presence, standardization: standardization)
            } catch let failure as EstimationFailure {
                throw StageFailure("\(slice.year.map { "year \($0): " } ?? "")\(failure.message)")
            }
            let diversity = presence.diversity, ubiquity = presence.ubiquity
            for unit in 0..<presence.unitCount {
                unitYears.append(slice.year); unitNames.append(Int32(unit)); diversities.append(Int64(diversity[unit])); ecis.append(index.eci[unit])
            }
            for product in 0..<presence.productCount {
                productYears.append(slice.year); productNames.append(Int32(product)); ubiquities.append(Int64(ubiquity[product]))
                pcis.append(index.pci[product])
            }
            fits.append(.map(["year": slice.year.map { .string($0.description) } ?? .null, "eigenvalue": index.eigenvalue.isNaN ? .null : .double(index.eigenvalue),
                              "iterations": .int(Int64(index.iterations))]))
        }
        let units = try Table(input.yearColumn(unitYears) + [(input.unitColumn, TradeInput.category(unitNames, input.units)), ("diversity", Column(int64: diversities)),
                                                             ("eci", Column(double: ecis))])
        let products = try Table(input.yearColumn(productYears) + [(input.productColumn, TradeInput.category(productNames, input.products)),
                                                                   ("ubiquity", Column(int64: ubiquities)), ("pci", Column(double: pcis))])
        return ["units": units.artifact, "products": products.artifact, "fit": .bytes(Data(JSONText.pretty(.map(["years": .list(fits)]))))]
    }
}

/// `relatedness.proximity`: Hidalgo et al.'s (2007) proximity φ_ij = C_ij / max(k_i, k_j) between
/// products from co-occurrence in units' presence (countries or cities by RCA; firms by
/// co-export), computed from sparse rows in parallel, per year. Matches ecomplexity exactly on
/// the tiny fixture; the diagonal convention is a parameter.
public struct ProximityStage: Stage {
    public static let id = "relatedness.proximity"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Product proximity (minimum conditional probability of co-occurrence), per year.",
        documentation: """
            diagonal: one (φ_ii = 1; ecomplexity in Python, economiccomplexity) or zero (Stata
            ecomplexity, EconGeo). Pairs with φ = 0 are not listed.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]")],
        outputs: [PortSpec("table", kind: .table, fileName: "proximity.pftable", summary: "[year,] product_1, product_2, proximity")],
        params: TradeInput.params + TradeInput.thresholdParams + [
            PresenceRule.param,
            ParamSpec("diagonal", .oneOf(["one", "zero"]), default: .string("one"), summary: "φ_ii"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        var years: [Value?] = [], first: [Int32] = [], second: [Int32] = [], values: [Double] = []
        for slice in input.slices {
            let space = ProductSpace(PresenceRule.presence(slice, context), diagonal: context.string("diagonal") == "zero" ? .zero : .one)
            for i in 0..<space.productCount {
                for j in 0..<space.productCount where space[i, j] != 0 {
                    years.append(slice.year); first.append(Int32(i)); second.append(Int32(j)); values.append(space[i, j])
                }
            }
        }
        let table = try Table(input.yearColumn(years) + [("product_1", TradeInput.category(first, input.products)), ("product_2", TradeInput.category(second, input.products)),
                                                         ("proximity", Column(double: values))])
        return ["table": table.artifact]
    }
}

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

/// `complexity.prody-expy`: Hausmann–Hwang–Rodrik productivity levels, unrounded as
/// economiccomplexity's `productivity_levels()` (matched to 1e-9 on the world data).
public struct ProductivityStage: Stage {
    public static let id = "complexity.prody-expy"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "PRODY per product and EXPY per unit (Hausmann, Hwang & Rodrik 2007), per year.",
        documentation: """
            income: a table of unit and GDP per capita (columns named by unit and income_value).
            Units without an income are left out of PRODY and get no EXPY (reported), as
            economiccomplexity keeps the units present in both tables. With a year column in
            the trade table, the income table may have one too (matched by year) or not (the
            same income every year).
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]"),
                 PortSpec("income", kind: .table, summary: "unit, GDP per capita[, year]")],
        outputs: [PortSpec("products", kind: .table, fileName: "prody.pftable", summary: "[year,] product, prody"),
                  PortSpec("units", kind: .table, fileName: "expy.pftable", summary: "[year,] unit, expy"),
                  PortSpec("report", kind: .json, fileName: "productivity.json", summary: "units left out for want of an income")],
        params: TradeInput.params + [ParamSpec("income_value", .string, default: .string("value"), summary: "income table column: GDP per capita")]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let incomeTable = try context.table("income")
        let unitColumn = try incomeTable.column(input.unitColumn, for: "unit (in the income table)")
        guard let incomes = try incomeTable.column(context.string("income_value")!, for: "income_value").numericValues() else {
            throw StageFailure("income_value names a text column of the income table; it must hold numbers")
        }
        let incomeYears = input.yearColumn.flatMap { incomeTable[$0] }
        var productYears: [Value?] = [], productCodes: [Int32] = [], prodys: [Double?] = []
        var unitYears: [Value?] = [], unitCodes: [Int32] = [], expys: [Double?] = []
        var leftOut: [ParamValue] = []
        for slice in input.slices {
            var byUnit: [String: Double] = [:]
            for row in 0..<incomeTable.rowCount where !incomes[row].isNaN && !unitColumn.isMissing(row) {
                if let incomeYears, let year = slice.year, !incomeYears[row].matches(year) { continue }
                byUnit[unitColumn[row].description] = incomes[row]
            }
            let income = input.units.map { byUnit[$0] }
            let levels = Productivity(slice.matrix, income: income)
            for product in 0..<slice.matrix.productCount {
                productYears.append(slice.year); productCodes.append(Int32(product)); prodys.append(levels.prody[product])
            }
            let totals = slice.matrix.unitTotals
            for unit in 0..<slice.matrix.unitCount where totals[unit] > 0 {
                unitYears.append(slice.year); unitCodes.append(Int32(unit)); expys.append(levels.expy[unit])
            }
            leftOut.append(.map(["year": slice.year.map { .string($0.description) } ?? .null,
                                 "units_without_income": .list(input.units.indices.filter { income[$0] == nil && totals[$0] > 0 }.map { .string(input.units[$0]) })]))
        }
        let products = try Table(input.yearColumn(productYears) + [(input.productColumn, TradeInput.category(productCodes, input.products)),
                                                                   ("prody", Column(double: prodys))])
        let units = try Table(input.yearColumn(unitYears) + [(input.unitColumn, TradeInput.category(unitCodes, input.units)), ("expy", Column(double: expys))])
        return ["products": products.artifact, "units": units.artifact,
                "report": .bytes(Data(JSONText.pretty(.map(["years": .list(leftOut)]))))]
    }
}

/// `relatedness.cooccurrence`: how many units have both products (C = MᵀM, from sparse presence
/// rows on every core, never a dense units × products matrix), and relatedness read off it by a
/// named measure: Hidalgo's proximity or EconGeo's association, probability, cosine or Jaccard
/// normalisations (`RelatednessMeasure`; matched to EconGeo v1.3 on its tiny fixtures), per year.
public struct CooccurrenceStage: Stage {
    public static let id = "relatedness.cooccurrence"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Product co-occurrence from unit presence and relatedness by Hidalgo's proximity or EconGeo's normalisations, per year.",
        documentation: """
            Presence is RCA against the threshold (countries, regions) or any positive value
            (presence: positive — a firm exports the product). cooccurrence is C_ij, the number of
            units with both products; its diagonal C_ii is the number with product i (EconGeo's
            co.occurrence(diagonal = TRUE)). method: hidalgo (C_ij / max(C_ii, C_jj)),
            association, probability (EconGeo's default "prob"), cosine, jaccard, or count.
            EconGeo's four use co-occurrences between different products only. diagonal: what
            relatedness puts on the diagonal, zero (EconGeo, Stata ecomplexity) or one. Pairs
            that never co-occur are not listed.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]")],
        outputs: [PortSpec("table", kind: .table, fileName: "cooccurrence.pftable",
                           summary: "[year,] product_1, product_2, cooccurrence, relatedness")],
        params: TradeInput.params + TradeInput.thresholdParams + [
            PresenceRule.param,
            RelatednessMethod.param,
            ParamSpec("diagonal", .oneOf(["zero", "one"]), default: .string("zero"), summary: "relatedness of a product with itself"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let measure = RelatednessMethod.measure(context), diagonal: Double = context.string("diagonal") == "one" ? 1 : 0
        var years: [Value?] = [], first: [Int32] = [], second: [Int32] = [], counts: [Int64] = [], values: [Double] = []
        for slice in input.slices {
            let presence = PresenceRule.presence(slice, context), n = presence.productCount
            let c = presence.cooccurrence()
            let r = measure.matrix(cooccurrence: c, productCount: n, diagonal: diagonal)
            for i in 0..<n {
                for j in 0..<n where c[i * n + j] > 0 {
                    years.append(slice.year); first.append(Int32(i)); second.append(Int32(j))
                    counts.append(Int64(c[i * n + j])); values.append(r[i * n + j])
                }
            }
        }
        let table = try Table(input.yearColumn(years) + [("product_1", TradeInput.category(first, input.products)), ("product_2", TradeInput.category(second, input.products)),
                                                         ("cooccurrence", Column(int64: counts)), ("relatedness", Column(double: values))])
        return ["table": table.artifact]
    }
}

/// `relatedness.average-relatedness`: Kogler, Rigby & Tucker's (2013) Average Relatedness of each
/// unit's specialisations, AR_u = Σ_{i≠j ∈ S_u} φ_ij / (N_u (N_u − 1)), with φ by the chosen
/// measure (Hidalgo's proximity by default, diagonal 0), and the product-level counterpart;
/// matched to the shared formulas/ transliteration.
public struct AverageRelatednessStage: Stage {
    public static let id = "relatedness.average-relatedness"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Average Relatedness of each unit's present products (Kogler et al. 2013) and each product's mean relatedness, per year.",
        documentation: """
            S_u is the unit's set of present products (RCA ≥ 1, or positive values), N_u its
            size. AR is undefined for N_u ≤ 1 (missing; the reason column says why). The units
            output also has the mean density (diagonal 0) of the products the unit holds. The
            products output has each product's mean relatedness to every other product some unit
            holds, Σ_{j≠i} φ_ij / (n − 1).
            """,
        inputs: [PortSpec("table", kind: .table, summary: "unit, product, value[, year]")],
        outputs: [PortSpec("units", kind: .table, fileName: "average-relatedness.pftable",
                           summary: "[year,] unit, products, average_relatedness, mean_density, reason"),
                  PortSpec("products", kind: .table, fileName: "product-relatedness.pftable", summary: "[year,] product, mean_relatedness")],
        params: TradeInput.params + TradeInput.thresholdParams + [
            PresenceRule.param,
            RelatednessMethod.param,
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let measure = RelatednessMethod.measure(context)
        var unitYears: [Value?] = [], units: [Int32] = [], sizes: [Int64] = [], ars: [Double?] = [], densities: [Double?] = [], reasons: [String?] = []
        var productYears: [Value?] = [], products: [Int32] = [], means: [Double] = []
        for slice in input.slices {
            let presence = PresenceRule.presence(slice, context), n = presence.productCount
            let phi = measure.matrix(cooccurrence: presence.cooccurrence(), productCount: n, diagonal: 0)
            let space = ProductSpace(proximity: phi, productCount: n)
            // Σ and count of the held products' densities per unit, from one pass over all units.
            var heldSum = [Double](repeating: 0, count: presence.unitCount), heldCount = [Int](repeating: 0, count: presence.unitCount)
            let cells = space.densities(of: presence)
            for cell in cells.values.indices where cells.present[cell] && !cells.values[cell].isNaN {
                heldSum[Int(cells.units[cell])] += cells.values[cell]
                heldCount[Int(cells.units[cell])] += 1
            }
            for unit in 0..<presence.unitCount where slice.matrix.rowStarts[unit] < slice.matrix.rowStarts[unit + 1] {
                let held = presence.row(unit), size = held.count
                var sum = 0.0
                for i in held { for j in held where j != i { sum += space[Int(i), Int(j)] } }
                unitYears.append(slice.year); units.append(Int32(unit)); sizes.append(Int64(size))
                ars.append(size > 1 ? sum / Double(size * (size - 1)) : nil)
                reasons.append(size > 1 ? nil : "holds \(size) product\(size == 1 ? "" : "s"); AR needs two")
                densities.append(heldCount[unit] == 0 ? nil : heldSum[unit] / Double(heldCount[unit]))
            }
            let ubiquity = presence.ubiquity, held = ubiquity.filter { $0 > 0 }.count
            for i in 0..<n where ubiquity[i] > 0 && held > 1 {
                productYears.append(slice.year); products.append(Int32(i))
                means.append((0..<n).reduce(0) { $1 != i ? $0 + space[i, $1] : $0 } / Double(held - 1))
            }
        }
        let unitTable = try Table(input.yearColumn(unitYears) + [(input.unitColumn, TradeInput.category(units, input.units)), ("products", Column(int64: sizes)),
                                                                 ("average_relatedness", Column(double: ars)), ("mean_density", Column(double: densities)),
                                                                 ("reason", Column(string: reasons))])
        let productTable = try Table(input.yearColumn(productYears) + [(input.productColumn, TradeInput.category(products, input.products)),
                                                                       ("mean_relatedness", Column(double: means))])
        return ["units": unitTable.artifact, "products": productTable.artifact]
    }
}
