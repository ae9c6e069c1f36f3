import ArgumentParser
import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

extension BenchCommand {
    /// `paperflow bench model FILE --formula F --family probit|logit|poisson|linear`: read a CSV, fit the
    /// model with SEs clustered as fixest clusters by default, optionally the average marginal
    /// effects, and report each phase's time, the peak memory and the estimates.
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit a model on a CSV file end to end and report the time, peak memory and estimates.")

        enum Family: String, ExpressibleByArgument, CaseIterable {
            /// lpm and linear: the linear core (OLS, fixed effects absorbed, 2SLS with an IV part).
            case probit, logit, poisson, lpm, linear
        }

        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The model in fixest's syntax, e.g. 'y ~ x1*x2 | fe1 + fe2'.") var formula: String
        @Option(help: "probit or logit (fixed effects as sparse dummies, or absorbed with --absorb), poisson or lpm (fixed effects absorbed).") var family: Family
        @Flag(help: "probit/logit: absorb the fixed effects in the GLM engine (what models.probit/logit do beyond 300 levels).") var absorb = false
        @Option(help: "Cluster the standard errors by this column (fixest's small-sample convention).") var cluster: String?
        @Option(help: ArgumentHelp("linear: Conley spatial standard errors, uniform kernel, as LAT,LON,KM (the columns and the cutoff).", valueName: "lat,lon,km")) var conley: String?
        @Flag(help: "Also compute interaction-aware average marginal effects with delta-method SEs (probit/logit).") var ame = false
        @Option(help: ArgumentHelp("Write name,estimate,se rows (and AMEs) to this CSV file.", valueName: "path")) var estimates: String?

        func run() throws {
            let start = DispatchTime.now().uptimeNanoseconds
            var fields: [String: ParamValue] = [:]
            var table = try Table([])
            fields["read_s"] = .double(try BenchCommand.seconds {
                table = try CSVReader.read(contentsOf: URL(fileURLWithPath: file), displayPath: file).0
            })
            let parsed: Formula
            do { parsed = try Formula(formula) } catch { throw ValidationError("--formula: \(error)") }
            var frame: ModelFrame?
            fields["frame_s"] = .double(try BenchCommand.seconds { frame = try ModelFrame(parsed, table: table, composition: ame) })
            let model = frame!
            let clusters = try cluster.map { name -> [Int] in
                let codes = try table.column(name).levelCodes().codes
                return model.rows.map { Int(codes[$0]) }
            }
            var rows: [(name: String, estimate: Double, se: Double)] = []
            switch family {
            case .poisson, .probit where absorb, .logit where absorb:
                var fit: GeneralizedLinearFit?
                fields["fit_s"] = .double(try BenchCommand.seconds {
                    fit = try GeneralizedLinearFit(family == .poisson ? .poisson : family == .probit ? .probit : .logit, outcome: model.outcome,
                                                   regressors: model.linearRegressors, fixedEffects: model.absorbed)
                })
                let result = fit!
                var covariance = Matrix(rows: 0, columns: 0)
                fields["se_s"] = .double(try BenchCommand.seconds {
                    covariance = try result.covariance(clusters.map { .clustered([$0]) } ?? .classical, convention: .fixest).matrix
                })
                rows = result.names.indices.map { (result.names[$0], result.coefficients[$0], covariance[$0, $0].squareRoot()) }
                fields["iterations"] = .int(Int64(result.iterations))
                fields["log_likelihood"] = .double(result.logLikelihood)
                fields["observations_separated"] = .int(Int64(model.outcome.count - result.observations))
            case .probit, .logit:
                var fit: BinaryChoiceFit?
                fields["fit_s"] = .double(try BenchCommand.seconds {
                    fit = try BinaryChoiceFit(family == .probit ? .probit : .logit, outcome: model.outcome, design: model.binaryDesign)
                })
                let result = fit!
                var covariance = Matrix(rows: 0, columns: 0)
                fields["se_s"] = .double(BenchCommand.seconds {
                    if let clusters {
                        covariance = result.clusteredCovariance(clusters)
                    } else {
                        covariance = result.classicalCovariance()
                    }
                })
                rows = result.names.indices.map { (result.names[$0], result.coefficients[$0], covariance[$0, $0].squareRoot()) }
                fields["iterations"] = .int(Int64(result.iterations))
                fields["log_likelihood"] = .double(result.logLikelihood)
                if ame {
                    var effects: [MarginalEffect] = []
                    fields["ame_s"] = .double(BenchCommand.seconds { effects = result.averageMarginalEffects(.derivatives(model.composition!), covariance: covariance) })
                    rows += effects.map { ("AME \($0.name)", $0.effect, $0.standardError) }
                }
            case .lpm, .linear:
                var fit: LinearFixedEffectsFit?
                let instruments = model.endogenous.isEmpty ? nil : LinearFixedEffectsFit.Instruments(endogenous: model.endogenous, excluded: model.instruments)
                fields["fit_s"] = .double(try BenchCommand.seconds {
                    fit = try LinearFixedEffectsFit(outcome: model.outcome, regressors: model.linearRegressors, fixedEffects: model.absorbed, instruments: instruments)
                })
                let result = fit!
                var covariance = result.iidCovariance
                if let clusters {
                    fields["se_s"] = .double(BenchCommand.seconds { covariance = result.clusteredCovariance(clusters) })
                }
                if let conley {
                    let parts = conley.split(separator: ",").map(String.init)
                    guard parts.count == 3, let cutoff = Double(parts[2]), let latitude = try table.column(parts[0]).numericValues(),
                          let longitude = try table.column(parts[1]).numericValues() else {
                        throw ValidationError("--conley takes LAT,LON,KM: two numeric columns and a cutoff in km")
                    }
                    fields["se_s"] = .double(BenchCommand.seconds {
                        covariance = result.spatialCovariance(latitude: model.rows.map { latitude[$0] }, longitude: model.rows.map { longitude[$0] },
                                                              cutoff: cutoff, kernel: .uniform)
                    })
                }
                rows = result.names.indices.map { (result.names[$0], result.coefficients[$0], covariance[$0, $0].squareRoot()) }
                fields["r2"] = .double(result.rSquared)
                fields["r2_within"] = .double(result.withinRSquared)
            }
            fields["rows"] = .int(Int64(model.rows.count))
            fields["parameters"] = .int(Int64(rows.count))
            fields["total_s"] = .double(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            fields["peak_memory_bytes"] = .int(Int64(BenchCommand.peakMemory))
            if let estimates {
                let text = "name,estimate,se\n" + rows.map { "\"\($0.name)\",\($0.estimate),\($0.se)\n" }.joined()
                try Data(text.utf8).write(to: URL(fileURLWithPath: estimates), options: .atomic)
            }
            Console.shared.out(String(decoding: JSONText.compact(.map(fields)), as: UTF8.self))
        }
    }
}
