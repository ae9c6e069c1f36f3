import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

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
