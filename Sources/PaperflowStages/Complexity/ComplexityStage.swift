import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

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
