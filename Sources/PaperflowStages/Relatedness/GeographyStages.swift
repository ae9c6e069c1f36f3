import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `geo.location-quotient`: LQ_ri = (x_ri / x_r) / (x_i / x) of every region × industry, zero cells
/// included, and specialisation by the threshold — EconGeo's `location.quotient(mat)` and
/// `location.quotient(mat, binary = TRUE)`, matched to 1e-9 on its tiny fixtures. The formula is
/// Balassa's RCA; this stage lists the full matrix, as regional studies of employment expect.
public struct LocationQuotientStage: Stage {
    public static let id = "geo.location-quotient"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Location quotients of every region × industry (zeros included) and specialisation (LQ ≥ 1 or > 1), per year.",
        documentation: """
            The unit column is the region, the product column the industry, the value
            employment or exports. Regions and industries without any value have no LQ (EconGeo
            writes 0 or NA); they are left out and reported.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "region, industry, value[, year]")],
        outputs: [PortSpec("table", kind: .table, fileName: "lq.pftable", summary: "[year,] region, industry, value, lq, specialised"),
                  PortSpec("report", kind: .json, fileName: "lq.json", summary: "regions and industries without value")],
        params: TradeInput.params + TradeInput.thresholdParams
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let threshold = TradeInput.threshold(context)
        var years: [Value?] = [], units: [Int32] = [], products: [Int32] = [], values: [Double] = [], quotients: [Double] = [], specialised: [Bool] = []
        var empty: [ParamValue] = []
        for slice in input.slices {
            let matrix = slice.matrix, lq = matrix.rca()
            let unitTotals = matrix.unitTotals, productTotals = matrix.productTotals
            for unit in 0..<matrix.unitCount where unitTotals[unit] > 0 {
                var cell = matrix.rowStarts[unit]
                for product in 0..<matrix.productCount where productTotals[product] > 0 {
                    var value = 0.0, quotient = 0.0
                    if cell < matrix.rowStarts[unit + 1] && Int(matrix.products[cell]) == product {
                        value = matrix.values[cell]; quotient = lq[cell]; cell += 1
                    }
                    years.append(slice.year); units.append(Int32(unit)); products.append(Int32(product))
                    values.append(value); quotients.append(quotient); specialised.append(threshold.holds(quotient))
                }
            }
            empty.append(input.withoutValue(slice))
        }
        let table = try Table(input.yearColumn(years) + [
            (input.unitColumn, TradeInput.category(units, input.units)), (input.productColumn, TradeInput.category(products, input.products)),
            ("value", Column(double: values)), ("lq", Column(double: quotients)), ("specialised", Column(bool: specialised)),
        ])
        return ["table": table.artifact, "report": .bytes(Data(JSONText.pretty(.map(["years": .list(empty)]))))]
    }
}

/// `geo.specialisation`: each region's Krugman index, specialisation coefficient, Herfindahl,
/// entropy, Hachman index and mean LQ (EconGeo v1.3's functions, matched on its fixtures), related
/// and unrelated variety (Frenken, van Oort & Verburg 2007), and each industry's Hoover index.
public struct SpecialisationStage: Stage {
    public static let id = "geo.specialisation"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Regional specialisation and diversity indices (Krugman, Herfindahl, entropy, Hachman, related/unrelated variety) and Hoover's index, per year.",
        documentation: """
            Industries are grouped for the varieties by the first group_digits characters of
            their code (HS2 chapters within HS4 headings: 2). Entropies are in bits (log₂), as
            EconGeo's; related + unrelated variety = entropy. Hoover's index (percent) weighs
            regions by the population input (unit, population_value) or equally without it.
            A region without value has no indices.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "region, industry, value[, year]"),
                 PortSpec("population", kind: .table, optional: true, summary: "region, population (for Hoover's index)")],
        outputs: [PortSpec("units", kind: .table, fileName: "specialisation.pftable",
                           summary: "[year,] region, krugman, specialisation_coefficient, herfindahl, entropy, hachman, lq_mean, related_variety, unrelated_variety"),
                  PortSpec("products", kind: .table, fileName: "hoover.pftable", summary: "[year,] industry, hoover")],
        params: TradeInput.params + [
            ParamSpec("group_digits", .int, default: .int(2), summary: "code prefix that groups industries for related/unrelated variety"),
            ParamSpec("population_value", .string, default: .string("population"), summary: "population table column: the population"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let digits = Int(context.int("group_digits")!)
        guard digits > 0 else { throw StageFailure("group_digits is \(digits); it must be at least 1") }
        var groupIndex: [Substring: Int] = [:]
        let groups = input.products.map { code in
            let prefix = code.prefix(digits)
            if let group = groupIndex[prefix] { return group }
            groupIndex[prefix] = groupIndex.count
            return groupIndex.count - 1
        }
        let population = try Self.population(context, input: input)
        var unitYears: [Value?] = [], units: [Int32] = [], indices: [[Double?]] = Array(repeating: [], count: 8)
        var productYears: [Value?] = [], products: [Int32] = [], hoovers: [Double?] = []
        for slice in input.slices {
            if let population, let unit = (0..<slice.matrix.unitCount).first(where: { population[$0] == nil && slice.matrix.rowStarts[$0] < slice.matrix.rowStarts[$0 + 1] }) {
                throw StageFailure("\(input.unitColumn) \(input.units[unit]) has no row in the population table; add it or filter the region out")
            }
            let structure = RegionalStructure(slice.matrix, groups: groups, population: population?.map { $0 ?? 0 })
            let unitTotals = slice.matrix.unitTotals
            for (unit, region) in structure.regions.enumerated() where unitTotals[unit] > 0 {
                unitYears.append(slice.year); units.append(Int32(unit))
                let values = [region.krugman, region.specialisationCoefficient, region.herfindahl, region.entropy, region.hachman,
                              region.meanLocationQuotient, region.relatedVariety, region.unrelatedVariety]
                for (column, value) in values.enumerated() { indices[column].append(value) }
            }
            for (product, hoover) in structure.hoover.enumerated() where hoover != nil {
                productYears.append(slice.year); products.append(Int32(product)); hoovers.append(hoover)
            }
        }
        let names = ["krugman", "specialisation_coefficient", "herfindahl", "entropy", "hachman", "lq_mean", "related_variety", "unrelated_variety"]
        let unitTable = try Table(input.yearColumn(unitYears) + [(input.unitColumn, TradeInput.category(units, input.units))]
            + zip(names, indices).map { ($0, Column(double: $1)) })
        let productTable = try Table(input.yearColumn(productYears) + [(input.productColumn, TradeInput.category(products, input.products)),
                                                                       ("hoover", Column(double: hoovers))])
        return ["units": unitTable.artifact, "products": productTable.artifact]
    }

    /// Each unit's population from the optional input (nil without it; nil entries for units it lacks).
    static func population(_ context: StageContext, input: TradeInput) throws -> [Double?]? {
        guard context.inputs["population"]?.isEmpty == false else { return nil }
        let table = try context.table("population")
        let names = try table.column(input.unitColumn, for: "unit (in the population table)")
        let values = try table.numbers(context.string("population_value")!, for: "population_value")
        var byUnit: [String: Double] = [:]
        for row in 0..<table.rowCount where !names.isMissing(row) {
            guard values[row] >= 0 else { throw StageFailure("population row \(row + 1): the population is missing or negative") }
            byUnit[names[row].description] = values[row]
        }
        return input.units.map { byUnit[$0] }
    }
}

/// `geo.coagglomeration`: co-location of two industries in each region by Chen Jianjun's index as
/// an-fu-2026 uses it, CO = [1 − |LQ_a − LQ_b| / (LQ_a + LQ_b)] + (LQ_a + LQ_b) (matched to the
/// shared formulas/ fixture), and Ellison–Glaeser's pairwise co-agglomeration of every pair of
/// industries across regions.
public struct CoagglomerationStage: Stage {
    public static let id = "geo.coagglomeration"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Chen's co-agglomeration index CO of an industry pair per region, and Ellison–Glaeser co-agglomeration of every industry pair, per year.",
        documentation: """
            pair names the two industries (e.g. [manufacturing, producer_services]); their
            location quotients are computed against all industries in the table. The pairs
            output has γ_ij = Σ_r (s_ri − x_r)(s_rj − x_r) / (1 − Σ_r x_r²) for every i < j
            (Ellison & Glaeser 1997 without plant Herfindahls, as Ellison, Glaeser & Kerr 2010).
            """,
        inputs: [PortSpec("table", kind: .table, summary: "region, industry, employment[, year]")],
        outputs: [PortSpec("units", kind: .table, fileName: "co.pftable", summary: "[year,] region, lq_1, lq_2, quality, co"),
                  PortSpec("pairs", kind: .table, fileName: "ellison-glaeser.pftable", summary: "[year,] industry_1, industry_2, ellison_glaeser")],
        params: TradeInput.params + [ParamSpec("pair", .list(.string), required: true, summary: "the two industries whose co-location CO measures")]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let input = try TradeInput(context)
        let pair = context.strings("pair")
        guard pair.count == 2 else { throw StageFailure("pair lists \(pair.count) industries; name exactly two, e.g. pair: [manufacturing, services]") }
        let indices = try pair.map { name in
            guard let index = input.products.firstIndex(of: name) else {
                throw StageFailure("pair names '\(name)', which is not an industry of the table (industries: \(input.products.prefix(12).joined(separator: ", ")))")
            }
            return index
        }
        var unitYears: [Value?] = [], units: [Int32] = [], first: [Double] = [], second: [Double] = [], quality: [Double?] = [], co: [Double?] = []
        var pairYears: [Value?] = [], industry1: [Int32] = [], industry2: [Int32] = [], gammas: [Double?] = []
        for slice in input.slices {
            let matrix = slice.matrix, lq = matrix.rca()
            for unit in 0..<matrix.unitCount where matrix.rowStarts[unit] < matrix.rowStarts[unit + 1] {
                let cells = matrix.rowStarts[unit]..<matrix.rowStarts[unit + 1]
                let quotients = indices.map { index in cells.first { Int(matrix.products[$0]) == index }.map { lq[$0] } ?? 0 }
                let index = Coagglomeration.chen(quotients[0], quotients[1])
                unitYears.append(slice.year); units.append(Int32(unit)); first.append(quotients[0]); second.append(quotients[1])
                quality.append(index?.quality); co.append(index?.index)
            }
            let gamma = Coagglomeration.ellisonGlaeser(matrix), n = matrix.productCount
            for i in 0..<n {
                for j in (i + 1)..<max(n, i + 1) where gamma[i * n + j] != nil {
                    pairYears.append(slice.year); industry1.append(Int32(i)); industry2.append(Int32(j)); gammas.append(gamma[i * n + j])
                }
            }
        }
        let unitTable = try Table(input.yearColumn(unitYears) + [(input.unitColumn, TradeInput.category(units, input.units)),
                                                                 ("lq_1", Column(double: first)), ("lq_2", Column(double: second)),
                                                                 ("quality", Column(double: quality)), ("co", Column(double: co))])
        let pairTable = try Table(input.yearColumn(pairYears) + [("industry_1", TradeInput.category(industry1, input.products)),
                                                                 ("industry_2", TradeInput.category(industry2, input.products)),
                                                                 ("ellison_glaeser", Column(double: gammas))])
        return ["units": unitTable.artifact, "pairs": pairTable.artifact]
    }
}
