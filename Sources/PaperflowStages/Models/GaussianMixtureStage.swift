import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `models.gaussian-mixture`: shen-2025's cluster delimitation — Gaussian mixtures of 1 to
/// `max_components` components fitted by EM on the chosen numeric columns, the number chosen by
/// BIC (or AIC); each row gets its most probable component. Conventions follow scikit-learn's
/// `GaussianMixture` (reg_covar 1e-6, k-means++ seeds), cross-checked in PaperflowStats.
public struct GaussianMixtureStage: Stage {
    public static let id = "models.gaussian-mixture"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Gaussian-mixture clusters by EM, the number of components chosen by BIC (or AIC).",
        documentation: """
            Rows with a missing value in a chosen column get no cluster (missing). The same seed
            gives the same clusters bit for bit. The fit (JSON) holds the BIC and AIC of every k,
            the k chosen, and the chosen mixture's weights, means and covariances.
            """,
        inputs: [PortSpec("table", kind: .table, summary: "rows to cluster")],
        outputs: [PortSpec("clusters", kind: .table, fileName: "clusters.pftable", summary: "the table with a 'cluster' column (1-based)"),
                  PortSpec("fit", kind: .json, fileName: "mixture.json", summary: "BIC/AIC curve and the chosen mixture")],
        params: [
            ParamSpec("columns", .list(.string), required: true, summary: "the numeric features"),
            ParamSpec("max_components", .int, default: .int(6), summary: "fit k = 1 … this"),
            ParamSpec("covariance", .oneOf(["full", "diagonal"]), default: .string("full"), summary: "each component's covariance"),
            ParamSpec("criterion", .oneOf(["bic", "aic"]), default: .string("bic"), summary: "how k is chosen"),
            ParamSpec("seed", .int, default: .int(0), summary: "seed of the k-means++ draws"),
            ParamSpec("restarts", .int, default: .int(5), summary: "EM runs per k; the most likely is kept"),
            ParamSpec("standardize", .bool, default: .bool(false), summary: "scale each column to mean 0, sd 1 first"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.table()
        let names = context.strings("columns")
        guard !names.isEmpty else { throw StageFailure("columns must name at least one numeric column") }
        var columns: [[Double]] = []
        for name in names {
            guard let values = try table.column(name, for: "columns").numericValues() else { throw StageFailure("column '\(name)' is text; a mixture needs numbers") }
            columns.append(values)
        }
        let rows = (0..<table.rowCount).filter { row in columns.allSatisfy { !$0[row].isNaN } }
        // Each feature over the clustered rows only, standardised as a model frame's regressors are.
        var features = columns.map { values in rows.map { values[$0] } }
        if context.bool("standardize")! { features = features.map(ModelFrame.standardized) }
        let points = rows.indices.map { point in features.map { $0[point] } }
        let maxComponents = Int(context.int("max_components")!), restarts = Int(context.int("restarts")!)
        guard maxComponents >= 1, restarts >= 1 else { throw StageFailure("max_components and restarts must be at least 1") }
        let options = GaussianMixture.Options(covariance: context.string("covariance") == "diagonal" ? .diagonal : .full,
                                              seed: UInt64(bitPattern: context.int("seed")!), restarts: restarts)
        let fits: [GaussianMixture]
        do {
            fits = try (1...maxComponents).map { try GaussianMixture(fitting: points, components: $0, options: options) }
        } catch let failure as EstimationFailure {
            throw StageFailure("gaussian mixture on \(names.joined(separator: ", ")): \(failure.message)")
        }
        let useAIC = context.string("criterion") == "aic"
        let chosen = fits.min { (useAIC ? $0.aic : $0.bic) < (useAIC ? $1.aic : $1.bic) }!
        var labels = [Int64?](repeating: nil, count: table.rowCount)
        for (row, component) in zip(rows, chosen.predict(points)) { labels[row] = Int64(component + 1) }
        let clustered: Table
        do { clustered = try table.adding("cluster", Column(int64: labels)) } catch {
            throw StageFailure("the table already has a column named 'cluster'; rename it first")
        }
        let fit: ParamValue = .map([
            "columns": .list(names.map(ParamValue.string)), "observations": .int(Int64(points.count)),
            "criterion": .string(useAIC ? "aic" : "bic"), "components": .int(Int64(chosen.components)),
            "curve": .list(fits.map { .map(["k": .int(Int64($0.components)), "bic": .double($0.bic), "aic": .double($0.aic),
                                            "log_likelihood": .double($0.logLikelihood)]) }),
            "weights": .list(chosen.weights.map(ParamValue.double)),
            "means": .list(chosen.means.map { .list($0.map(ParamValue.double)) }),
            "covariances": .list(chosen.covariances.map { matrix in
                .list((0..<matrix.rows).map { i in .list((0..<matrix.columns).map { .double(matrix[i, $0]) }) })
            }),
        ])
        return ["clusters": clustered.artifact, "fit": .bytes(Data(JSONText.pretty(fit)))]
    }
}
