import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `models.ols`, `models.fe`, `models.lpm`, `models.probit`, `models.logit`, `models.poisson`: one parameter set,
/// so swapping the estimator is editing `uses:` (or `--set`), and only the model stage and what
/// reads it rerun.
///
/// The fit artifact (JSON) holds the formula, the digest of the table it was fitted on, the
/// estimator and covariance chosen, N, each coefficient with its standard error, test statistic,
/// p-value and stars, the covariance matrix, fit statistics, the fixed effects absorbed, and what
/// was dropped (collinear columns, separated levels, rows with missing values). Estimates follow
/// PaperflowStats, cross-checked there against fixest (pyfixest), statsmodels and R.
enum ModelStages {
    enum Estimator: String {
        case ols, fe, lpm, probit, logit, poisson

        var isBinary: Bool { self == .probit || self == .logit }
    }

    /// Probit and logit enter fixed effects as sparse dummies (Newton on the full Hessian) while
    /// their levels number at most this many — there the dummies are as fast and the marginal
    /// effects account for them — and absorb them in the GLM engine beyond (firm effects).
    static let dummyLevelLimit = 300

    /// How probit and logit treat fixed effects (their stages' documentation).
    static let binaryDocumentation = """
        Up to 300 fixed-effect levels in all, Newton's method on the model with their dummies (the
        marginal effects account for them); beyond, IRLS with the fixed effects absorbed, which
        gives the same estimates and standard errors (tested) in the memory of a few columns —
        firm effects on millions of rows — without marginal effects. Fixed-effect levels whose
        outcome is all 0 or all 1 are dropped and reported, as fixest does.
        """

    /// The fit's list of dropped fixed-effect levels.
    static func separatedLevels(_ levels: [Separation]) -> ParamValue {
        .list(levels.map {
            .map(["factor": .string($0.factor), "level": .string($0.level), "outcome": .double($0.outcome), "observations": .int(Int64($0.observations))])
        })
    }

    /// What the fit says when a two-way clustered covariance was made positive semi-definite.
    static let psdRule = "negative eigenvalues set to 0 (Cameron, Gelbach & Miller 2011)"

    static let conventions = ["fixest", "statsmodels", "stata", "stata-areg", "sandwich"]

    static func signature(_ summary: String, _ documentation: String) -> StageSignature {
        StageSignature(
            summary: summary,
            documentation: documentation + "\n\n" + """
                Formula functions (fixest's syntax; the outcome may be one too): \(Formula.functions.map { "\($0)()" }.joined(separator: ", ")),
                and x^k. i(f) and factor(f) enter f as a factor (every level where no intercept or
                fixed effect needs a base), i(f, ref = k) with level k as the base, i(f, x) a slope
                of x per level of f and i(f, x, ref = k) all but k's (fixest's event study:
                y ~ i(rel, treated, ref = -1) | unit + year); I(expression) takes any expression of data.derive's
                grammar (I(x^2), I(a / b), I(ifelse(x > 0, x, 0))); poly(x, k) is x … x^k (raw);
                l(x, k), f(x, k) and d(x) are the value k periods before, k after, and the change
                from the period before, within the unit, by time value, with panel: {unit, time}
                (l(x, 1:3) gives three terms; a gap gives a missing value, not the row before). A
                row where a function is undefined (log of 0) is dropped and counted with the missing
                ones, as fixest drops it; a formula that does not parse is a validation error.
                vcov: classical, hc1, or {cluster: [var]} / {cluster: [var1, var2]} (two-way); for
                linear models without absorbed fixed effects also hc2 and hc3 (leverage-corrected,
                as statsmodels' HC2/HC3 and R sandwich's vcovHC); for linear models, under
                convention: statsmodels, {newey_west: {time: year, lag: 2}} (a time series, one row
                per period) and {driscoll_kraay: {time: year, lag: 2}} (a panel: scores summed by
                period), Bartlett weights, as statsmodels' HAC (no small-sample factor) and
                hac-groupsum (T/(T−1)·(N−1)/(N−K), the periods as clusters); the lag defaults to
                ⌊4 (T/100)^(2/9)⌋ (Newey & West 1994).
                convention (small-sample factors and, for probit/logit, the information matrix):
                fixest (default: expected information; G/(G−1)·(N−1)/(N−K), FE nested in the
                clusters not counted; two-way with the smaller G), statsmodels (observed
                information; every column in K; each two-way term its own G), stata (observed
                information; G/(G−1) for probit/logit/poisson, hc1 × N/(N−1), as Stata's ML
                commands; for linear models reghdfe's rules: singletons dropped unless
                singletons: keep, FE nested in the clusters not counted, G/(G−1)·(N−1)/(N−K)
                clustered, N/(N−K) robust), stata-areg (areg: singletons kept, every absorbed level
                counted in K, nested or not; as stata for the nonlinear models), sandwich (R vcovCL: expected
                information; G/(G−1) for probit/logit/poisson, hc1 × N/(N−K); as statsmodels for
                linear models). hc1 under statsmodels is its HC0 for probit/logit/poisson, as
                statsmodels computes it for discrete models and GLMs. p-values: t with
                N − K − rank(FE) degrees of freedom (G − 1 when clustered, the smaller G for
                two-way), as fixest; z for probit/logit/poisson. A two-way clustered covariance that
                is not positive semi-definite has its negative eigenvalues set to 0 (Cameron,
                Gelbach & Miller 2011; fixest's vcov_fix), and the fit says so.
                """,
            inputs: [PortSpec("table", kind: .table, summary: "the estimation sample")],
            outputs: [PortSpec("fit", kind: .json, fileName: "fit.json", summary: "estimates, covariance, fit statistics")],
            params: [
                ParamSpec("formula", .string, required: true, summary: "fixest syntax: log(y) ~ x1*x2 + I(x3^2) + i(k) + l(x, 1) | fe1 + fe2^fe3, for 2SLS (ols, fe, lpm) a last part | x_endo ~ z1 + z2; several models at once with c(y1, y2) ~, sw(a, b), sw0(), csw(a, b), csw0()"),
                ParamSpec("vcov", .either(.oneOf(["classical", "iid", "hc1", "HC1", "hetero", "hc2", "HC2", "hc3", "HC3"]), .map(.either(.either(.string, .list(.string)), .map(.either(.string, .either(.int, .double)))))),
                          default: .string("classical"),
                          summary: "classical | hc1 | hc2 | hc3 | {cluster: [vars]} | {newey_west: {time: t, lag: L}} | {driscoll_kraay: {time: t, lag: L}} | {conley: {lat: LAT, lon: LON, cutoff: KM, kernel: uniform | bartlett, time: t, unit: u, lag: L}}; fixest's spellings iid, hetero, HC1 and {cluster: var} too"),
                ParamSpec("convention", .oneOf(conventions), default: .string("fixest"), summary: "small-sample convention"),
                ParamSpec("margins", .oneOf(["none", "average", "at-means"]), default: .string("none"),
                          summary: "marginal effects (probit/logit) of each numeric variable through every term it enters (x:z, i(f):x, x:z:w); delta-method SEs"),
                ParamSpec("standardize", .bool, default: .bool(false), summary: "scale regressors to mean 0, sd 1"),
                ParamSpec("subset", .string, default: .string(""), summary: "a condition: fit on the rows where it is true"),
                ParamSpec("split", .string, default: .string(""),
                          summary: "fit one model per level of this column (East/West, terciles); rows missing it are left out"),
                ParamSpec("tests", .list(.string), default: .list([]),
                          summary: "Wald tests of linear restrictions, each a string: \"b[x1] = b[x2]\", \"b[x1] = 0, b[x2] = 0\" (joint); F for linear models, χ² otherwise"),
                ParamSpec("singletons", .oneOf(["auto", "keep", "drop"]), default: .string("auto"),
                          summary: "drop: leave out rows alone in a fixed-effect level, repeatedly, and count them (reghdfe's and pyfixest's default); keep: fixest's; auto: drop under convention: stata (reghdfe), keep otherwise"),
                ParamSpec("panel", .map(.string), default: .map([:]),
                          summary: "{unit: firm, time: year}: the panel the operators l(x, k), f(x, k) and d(x) shift along (by time value: a gap gives a missing lag)"),
                ParamSpec("weights", .string, default: .string(""),
                          summary: "a column of observation weights (rows of weight 0 are left out and counted; negative is an error)"),
                ParamSpec("weight_type", .oneOf(ObservationWeights.WeightKind.allCases.map(\.rawValue)), default: .string("analytic"),
                          summary: "analytic (Stata's aweight, fixest's weights), frequency (fweight: N = Σw) or probability (pweight: robust or clustered SEs only)"),
                ParamSpec("tolerance", .double, default: .double(1e-10),
                          summary: "poisson, and probit/logit with absorbed fixed effects: IRLS stops when the deviance changes by less than this (relative; fixest's glm.tol is 1e-8)"),
                ParamSpec("demeaning_tolerance", .double, default: .double(1e-13),
                          summary: "absorbing fixed effects: a sweep that changes no value by more than this (relative to the largest) ends the demeaning; loosen it (fixest's fixef.tol is 1e-6, pyfixest's 1e-8) for weakly connected panels"),
                ParamSpec("bootstrap", .map(.either(.string, .either(.int, .double))), default: .map([:]),
                          summary: "linear models clustered one way: the wild cluster bootstrap of a coefficient — {coefficient: x1, seed: 1, draws: 9999, weights: rademacher | webb, type: wcr | wcu, level: 0.95}; p-value and confidence set as boottest"),
                ParamSpec("max_sweeps", .int, default: .int(10_000),
                          summary: "absorbing fixed effects: the most alternating-projection sweeps per variable before the fit is refused (weakly connected panels, e.g. long chains of movers, need more)"),
            ],
            lint: { params, _ in lintFormula(params) + lintCovariance(params) }
        )
    }

    /// areg's rules concern linear models with absorbed fixed effects; for probit, logit and
    /// Poisson `stata-areg` means Stata's maximum-likelihood conventions, as `stata` does.
    static func nonlinearConvention(_ convention: String) -> String {
        convention == "stata-areg" ? "stata" : convention
    }

    /// Whether rows alone in a fixed-effect level are left out: as `singletons:` says, or under
    /// `auto` as the convention's tool does (reghdfe drops them; fixest, statsmodels, areg keep them).
    static func dropSingletons(_ context: StageContext) -> Bool {
        switch context.string("singletons") {
        case "drop": true
        case "keep": false
        default: context.string("convention") == "stata"
        }
    }

    /// `panel: {unit: …, time: …}`, or nil when not given.
    static func panel(_ context: StageContext) throws -> (unit: String, time: String)? {
        guard let map = context.params["panel"]?.mapValue, !map.isEmpty else { return nil }
        guard let unit = map["unit"]?.stringValue, let time = map["time"]?.stringValue, map.count == 2 else {
            throw StageFailure("panel takes {unit: COLUMN, time: COLUMN}, e.g. {unit: firm, time: year}")
        }
        return (unit, time)
    }

    /// A Conley covariance without coordinates or cutoff is a validation error at `vcov`.
    static func lintCovariance(_ params: [String: ParamValue]) -> [LintFinding] {
        guard let settings = params["vcov"]?.mapValue?["conley"] else { return [] }
        if case let .failure(failure) = Spatial.parse(settings.mapValue ?? [:]) {
            return [LintFinding(param: "vcov", message: failure.message, hint: "e.g. vcov: {conley: {lat: latitude, lon: longitude, cutoff: 500}}", isError: true)]
        }
        return []
    }

    /// A formula that does not parse (an unknown function, an unclosed parenthesis), or uses a
    /// panel operator without `panel:`, is a validation error at the formula, with the column
    /// inside it, before anything runs.
    static func lintFormula(_ params: [String: ParamValue]) -> [LintFinding] {
        guard let text = params["formula"]?.stringValue else { return [] }
        do {
            let formulas = try MultipleEstimation.expand(text).map { expanded throws(FormulaError) in try Formula(expanded) }
            if let variable = formulas.lazy.compactMap(\.panelOperator).first, params["panel"]?.mapValue?.isEmpty ?? true {
                return [LintFinding(param: "formula", message: "formula '\(text)': \(variable.name) needs the panel it shifts along",
                                    hint: "add panel: {unit: COLUMN, time: COLUMN} under 'with:', e.g. panel: {unit: firm, time: year}", isError: true)]
            }
            return []
        } catch {
            return [LintFinding(param: "formula", message: "formula '\(text)', column \(error.column): \(error.message)",
                                hint: "fixest's syntax: y ~ x1 + log(x2) + i(f) | fe1 + fe2; functions: \(Formula.functions.map { "\($0)()" }.joined(separator: ", "))",
                                isError: true)]
        }
    }

    /// How the covariance is asked for.
    enum Covariance: Equatable {
        case classical, hc1, hc2, hc3
        case cluster([String])
        /// Newey–West (`driscollKraay` false) or Driscoll–Kraay over the periods of `time`.
        case kernel(driscollKraay: Bool, time: String, lags: Int?)
        /// Conley's spatial HAC.
        case spatial(Spatial)
    }

    /// `vcov: {conley: {lat, lon, cutoff, kernel, time, unit, lag}}`.
    struct Spatial: Equatable {
        var latitude: String
        var longitude: String
        var cutoff: Double
        var kernel: SpatialCovariance.Kernel
        var time: String?
        var unit: String?
        var lag: Int

        static let usage = "vcov: {conley: {lat: COLUMN, lon: COLUMN, cutoff: KM, kernel: uniform | bartlett, time: COLUMN, unit: COLUMN, lag: N}} — latitude and longitude in degrees and the cutoff in km are required; time pairs points within a period, unit and lag add a unit's serial correlation"

        /// The settings, or what is wrong with them.
        static func parse(_ settings: [String: ParamValue]) -> Result<Spatial, StageFailure> {
            func number(_ key: String) -> Double? { settings[key]?.doubleValue ?? settings[key]?.intValue.map(Double.init) }
            if let unknown = settings.keys.sorted().first(where: { !["lat", "lon", "cutoff", "kernel", "time", "unit", "lag"].contains($0) }) {
                return .failure(StageFailure("conley has no '\(unknown)'; \(usage)"))
            }
            guard let latitude = settings["lat"]?.stringValue, let longitude = settings["lon"]?.stringValue else {
                return .failure(StageFailure("a Conley covariance needs the coordinates: lat and lon name the latitude and longitude columns; \(usage)"))
            }
            guard let cutoff = number("cutoff"), cutoff > 0 else { return .failure(StageFailure("a Conley covariance needs a cutoff in km greater than 0; \(usage)")) }
            guard let kernel = SpatialCovariance.Kernel(rawValue: settings["kernel"]?.stringValue ?? "uniform") else { return .failure(StageFailure(usage)) }
            let lag = Int(settings["lag"]?.intValue ?? 0)
            if lag < 0 || (lag > 0 && (settings["unit"] == nil || settings["time"] == nil)) {
                return .failure(StageFailure("conley's lag adds a unit's correlation over time: give unit and time with it; \(usage)"))
            }
            return .success(Spatial(latitude: latitude, longitude: longitude, cutoff: cutoff, kernel: kernel, time: settings["time"]?.stringValue,
                                    unit: settings["unit"]?.stringValue, lag: lag))
        }
    }

    /// What a kernel or spatial covariance needs of the estimation sample: each row's rank in
    /// time (Newey–West, Driscoll–Kraay); coordinates, periods and units (Conley).
    struct CovarianceData {
        var periods: [Int] = []
        var latitude: [Double] = []
        var longitude: [Double] = []
        var times: [Int]?
        var units: [Int]?
    }

    static func covariance(_ context: StageContext) throws -> Covariance {
        // fixest writes vcov = "iid", "hetero" (or "HC1") and cluster = ~var: the same covariances.
        switch context.params["vcov"] {
        case .string("hc1"), .string("HC1"), .string("hetero"): return .hc1
        case .string("hc2"), .string("HC2"): return .hc2
        case .string("hc3"), .string("HC3"): return .hc3
        case let .map(map) where map.count == 1 && (map["newey_west"] != nil || map["driscoll_kraay"] != nil):
            let settings = (map["newey_west"] ?? map["driscoll_kraay"])?.mapValue ?? [:]
            guard let time = settings["time"]?.stringValue, Set(settings.keys).isSubset(of: ["time", "lag"]),
                  settings["lag"].map({ ($0.stringValue.flatMap { Int($0) } ?? $0.intValue.map(Int.init)).map { $0 >= 0 } ?? false }) ?? true else {
                throw StageFailure("vcov: {\(map.keys.first!): {time: COLUMN, lag: N}} — the time column, and optionally the number of lags (default ⌊4 (T/100)^(2/9)⌋)")
            }
            let lags = settings["lag"].flatMap { $0.stringValue.flatMap { Int($0) } ?? $0.intValue.map(Int.init) }
            return .kernel(driscollKraay: map["driscoll_kraay"] != nil, time: time, lags: lags)
        case let .map(map) where map.count == 1 && map["conley"] != nil:
            return .spatial(try Spatial.parse(map["conley"]?.mapValue ?? [:]).get())
        case let .map(map):
            let variables = map["cluster"].flatMap { $0.stringValue.map { [$0] } ?? $0.listValue?.compactMap(\.stringValue) } ?? []
            guard map.count == 1, (1...2).contains(variables.count) else {
                throw StageFailure("vcov takes classical, hc1 or {cluster: [var]} with one or two variables, e.g. {cluster: [firm]}")
            }
            return .cluster(variables)
        default: return .classical
        }
    }

    static func run(_ estimator: Estimator, _ context: StageContext) throws -> [String: Artifact] {
        let table = try context.subset(try context.table())
        let text = context.string("formula")!
        // One formula, or several written with c(), sw(), csw() (fixest's multiple estimation).
        var formulas: [Formula] = []
        do {
            for expanded in try MultipleEstimation.expand(text) {
                do { formulas.append(try Formula(expanded)) } catch {
                    throw StageFailure("formula '\(expanded)', column \(error.column): \(error.message)")
                }
            }
        } catch let error as FormulaError {
            throw StageFailure("formula '\(text)', column \(error.column): \(error.message)")
        }
        for formula in formulas where estimator == .ols && !formula.fixedEffects.isEmpty {
            throw StageFailure("models.ols has no fixed effects; use models.fe (or models.lpm) for '\(formula)'")
        }
        if !(context.params["bootstrap"]?.mapValue ?? [:]).isEmpty, estimator.isBinary || estimator == .poisson {
            throw StageFailure("bootstrap: the wild cluster bootstrap is for the linear models (ols, fe, lpm); \(estimator.rawValue) is not bootstrapped")
        }
        if formulas.contains(where: \.isInstrumented), estimator.isBinary || estimator == .poisson {
            throw StageFailure("the instrumental-variables part of '\(text)' is for the linear models (ols, fe, lpm: two-stage least squares); \(estimator.rawValue) is not instrumented")
        }
        let margins = context.string("margins")!
        if !estimator.isBinary, margins != "none" {
            throw StageFailure("margins: \(margins) is for probit and logit; a linear model's coefficients are its marginal effects")
        }
        var fit: [String: ParamValue] = [:]
        if formulas.count == 1 {
            fit = try splitFit(estimator, formulas[0], table, context)
        } else {
            // Multiple estimation: a group per formula (per formula and split level), titled by
            // the formula, as split groups are by their level.
            var groups: [ParamValue] = []
            for formula in formulas {
                var one = try splitFit(estimator, formula, table, context)
                if let levels = one["groups"]?.listValue {
                    for level in levels {
                        guard var group = level.mapValue else { continue }
                        group["formula"] = .string(formula.description)
                        group["group"] = .string("\(formula), \(one["split"]?.stringValue ?? "") = \(group["group"]?.stringValue ?? "")")
                        groups.append(.map(group))
                    }
                } else {
                    one["formula"] = .string(formula.description)
                    one["group"] = .string(formula.description)
                    groups.append(.map(one))
                }
                if let split = one["split"] { fit["split"] = split }
            }
            fit["formulas"] = .list(formulas.map { .string($0.description) })
            fit["groups"] = .list(groups)
        }
        fit["estimator"] = .string(estimator.rawValue)
        fit["formula"] = .string(formulas.count == 1 ? formulas[0].description : text)
        fit["table_digest"] = .string(try context.input("table").digest.description)
        fit["subset"] = .string(context.string("subset")!)
        return ["fit": .bytes(Data(JSONText.pretty(.map(fit))))]
    }

    /// One formula's fit, or with `split:` one per level in `groups`.
    static func splitFit(_ estimator: Estimator, _ formula: Formula, _ table: Table, _ context: StageContext) throws -> [String: ParamValue] {
        var fit: [String: ParamValue]
        let split = context.string("split")!
        if split.isEmpty {
            fit = try self.fit(estimator, formula, table, context)
        } else {
            // One fit per level, in R's factor order; the shared fields are kept at the top.
            let (codes, levels) = try table.column(split, for: "split").levelCodes()
            var rowsByLevel = [[Int]](repeating: [], count: levels.count)
            for (row, code) in codes.enumerated() where code >= 0 { rowsByLevel[Int(code)].append(row) }
            let groups = try zip(levels, rowsByLevel).map { level, rows -> ParamValue in
                var group: [String: ParamValue]
                do { group = try self.fit(estimator, formula, table.take(rows), context) } catch let failure as StageFailure {
                    throw StageFailure("split \(split) = \(level): \(failure.message)")
                }
                group["group"] = .string(level.description)
                return .map(group)
            }
            fit = ["split": .string(split), "groups": .list(groups),
                   "observations_missing_split": .int(Int64(codes.count { $0 < 0 }))]
        }
        return fit
    }

    /// One model on `table`: the fit artifact's fields but for those shared across a split.
    static func fit(_ estimator: Estimator, _ formula: Formula, _ table: Table, _ context: StageContext) throws -> [String: ParamValue] {
        let frame: ModelFrame
        let weightColumn = context.string("weights")!
        let panel = try panel(context)
        do {
            frame = try ModelFrame(formula, table: table, standardize: context.bool("standardize")!, weights: weightColumn.isEmpty ? nil : weightColumn,
                                   panel: panel, dropSingletons: dropSingletons(context), composition: context.string("margins")! != "none")
        } catch {
            throw StageFailure("formula '\(formula)': \(error.message)")
        }
        let weights = try frame.weights.map { values -> ObservationWeights in
            let kind = ObservationWeights.WeightKind(rawValue: context.string("weight_type")!)!
            if kind == .frequency, let index = values.firstIndex(where: { $0 != $0.rounded() }) {
                throw StageFailure("frequency weights count rows, so they must be whole numbers, but '\(weightColumn)' is \(values[index]) in row \(frame.rows[index] + 1); use weight_type: analytic for other weights")
            }
            return ObservationWeights(values, kind: kind)
        }
        // A binary model of an outcome coded 1/2 would fit Φ(3z) without a word: refuse it.
        if estimator == .poisson, let index = frame.outcome.firstIndex(where: { $0 < 0 || !$0.isFinite }) {
            throw StageFailure("poisson needs an outcome of non-negative numbers (zeros are kept: PPML), but '\(formula.outcome)' is \(frame.outcome[index]) in row \(frame.rows[index] + 1); "
                               + "a negative flow is a data error — fix or subset it, e.g. subset: \"\(formula.outcome) >= 0\"")
        }
        if estimator.isBinary, let index = frame.outcome.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            let values = Set(frame.outcome).sorted()
            let shown = values.prefix(6).map { $0 == $0.rounded() ? String(Int64($0)) : String($0) }.joined(separator: ", ") + (values.count > 6 ? ", …" : "")
            throw StageFailure("\(estimator.rawValue) needs an outcome of 0 and 1, but '\(formula.outcome)' is \(frame.outcome[index]) in row \(frame.rows[index] + 1) "
                               + "(its values: \(shown)); recode it first, e.g. data.derive \"\(formula.outcome) = ifelse(\(formula.outcome) == \(values.last.map { $0 == $0.rounded() ? String(Int64($0)) : String($0) } ?? "1"), 1, 0)\"")
        }
        let covariance = try covariance(context)
        let convention = context.string("convention")!
        var clusters: [[Int]] = []
        if case let .cluster(variables) = covariance {
            for variable in variables {
                let codes = try table.column(variable, for: "vcov's cluster").levelCodes().codes
                if let row = frame.rows.first(where: { codes[$0] < 0 }) {
                    throw StageFailure("cluster variable '\(variable)' is missing in row \(row + 1) of the estimation sample")
                }
                clusters.append(frame.rows.map { Int(codes[$0]) })
            }
        }
        // The periods of a Newey–West / Driscoll–Kraay covariance: each row's rank in time.
        var data = CovarianceData()
        if case .spatial = covariance, estimator.isBinary || estimator == .poisson {
            throw StageFailure("vcov: \(describe(covariance)) is for linear models (ols, lpm, fe)")
        }
        if case let .spatial(spatial) = covariance { data = try spatialData(spatial, table, frame) }
        if case let .kernel(_, time, _) = covariance {
            guard !estimator.isBinary, estimator != .poisson else {
                throw StageFailure("vcov: \(describe(covariance)) is for linear models (ols, lpm, fe)")
            }
            guard let values = try table.column(time, for: "vcov's time").numericValues() else {
                throw StageFailure("vcov's time '\(time)' must be numeric (a year, a month count)")
            }
            let used = frame.rows.map { values[$0] }
            if let index = used.firstIndex(where: \.isNaN) { throw StageFailure("vcov's time '\(time)' is missing in row \(frame.rows[index] + 1) of the estimation sample") }
            let order = Array(Set(used)).sorted()
            let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
            data.periods = used.map { rank[$0]! }
        }
        if weights?.kind == .probability, covariance == .classical {
            throw StageFailure("probability weights have no classical covariance (Stata's pweight forces robust); use vcov: hc1 or a cluster")
        }
        var fit: [String: ParamValue] = [
            "observations_dropped_missing": .int(Int64(frame.droppedForMissing)),
            "vcov": .string(describe(covariance)), "convention": .string(convention),
            "fixed_effects": .list(frame.fixedEffects.map { .map(["name": .string($0.name), "levels": .int(Int64($0.levels.count))]) }),
        ]
        let margins = context.string("margins")!
        let levels = frame.fixedEffects.reduce(0) { $0 + $1.levels.count }
        if dropSingletons(context) { fit["observations_singletons"] = .int(Int64(frame.droppedSingletons)) }
        if let weights {
            fit["weights"] = .string(weightColumn)
            fit["weight_type"] = .string(weights.kind.rawValue)
            fit["rows"] = .int(Int64(frame.rows.count))
            fit["observations_zero_weight"] = .int(Int64(frame.droppedForZeroWeight))
        }
        let demeaning = (tolerance: context.double("demeaning_tolerance")!, maxSweeps: Int(context.int("max_sweeps")!))
        guard demeaning.tolerance > 0, demeaning.tolerance < 1, demeaning.maxSweeps > 0 else {
            throw StageFailure("demeaning_tolerance must be between 0 and 1 and max_sweeps positive (defaults 1e-13 and 10000)")
        }
        do {
            if estimator == .poisson || (estimator.isBinary && (levels > dummyLevelLimit || weights != nil)) {
                if margins != "none" {
                    throw StageFailure(weights != nil ? "margins: \(margins) is not computed for a weighted model; use margins: none"
                                       : "margins: \(margins) with \(levels) absorbed fixed-effect levels is not computed (beyond \(dummyLevelLimit) levels the effects are absorbed, not estimated); "
                                       + "use margins: none, or fewer levels (e.g. hs2 instead of product)")
                }
                var options = GeneralizedLinearFit.IRLSOptions()
                options.tolerance = context.double("tolerance")!
                options.demeaningTolerance = demeaning.tolerance
                options.maxSweeps = demeaning.maxSweeps
                try fitAbsorbed(estimator == .poisson ? .poisson : estimator == .probit ? .probit : .logit, frame, weights, covariance, clusters, convention, options, into: &fit)
            } else if estimator.isBinary {
                try fitBinary(estimator, frame, covariance, clusters, convention, margins, into: &fit)
            } else {
                try fitLinear(frame, weights, covariance, clusters, convention, data: data, demeaning: demeaning,
                              bootstrap: try bootstrapRequest(context, estimator, covariance), into: &fit)
            }
        } catch let failure as EstimationFailure {
            throw StageFailure("\(estimator.rawValue) '\(formula)': \(failure.message)")
        }
        let tests = context.strings("tests")
        if !tests.isEmpty { fit["tests"] = try waldTests(tests, fit) }
        return fit
    }

    /// The Wald tests asked for, on the fit's coefficients and covariance: F with the t tests'
    /// degrees of freedom for linear models, χ² for the others.
    static func waldTests(_ texts: [String], _ fit: [String: ParamValue]) throws -> ParamValue {
        let rows = fit["coefficients"]?.listValue?.compactMap(\.mapValue) ?? []
        let names = rows.compactMap { $0["name"]?.stringValue }, estimates = rows.compactMap { $0["estimate"]?.doubleValue }
        let values = fit["vcov_matrix"]?.listValue?.map { $0.listValue?.compactMap(\.doubleValue) ?? [] } ?? []
        var covariance = Matrix(rows: names.count, columns: names.count)
        covariance.values = values.flatMap { $0 }
        let degrees = fit["degrees_of_freedom"]?.doubleValue
        return .list(try texts.map { text in
            let test: WaldTest
            do { test = try WaldTest(text, names: names, coefficients: estimates, covariance: covariance, degrees: degrees) } catch {
                throw StageFailure("tests: '\(text)', \(error)")
            }
            var entry: [String: ParamValue] = ["restriction": .string(text), "statistic": .double(test.statistic), "restrictions": .int(Int64(test.restrictions)),
                                               "kind": .string(degrees == nil ? "chi2" : "F"), "p": .double(test.pValue)]
            if let denominator = test.denominatorDegrees { entry["denominator_degrees"] = .double(denominator) }
            return .map(entry)
        })
    }

    static func describe(_ covariance: Covariance) -> String {
        switch covariance {
        case .classical: return "classical"
        case .hc1: return "hc1"
        case .hc2: return "hc2"
        case .hc3: return "hc3"
        case let .cluster(variables): return "cluster: " + variables.joined(separator: ", ")
        case let .kernel(driscollKraay, time, lags):
            return "\(driscollKraay ? "driscoll-kraay" : "newey-west"): \(time)\(lags.map { ", lag \($0)" } ?? "")"
        case let .spatial(spatial):
            return "conley: \(spatial.cutoff.formatted(.number.grouping(.never).locale(Locale(identifier: "en_US_POSIX")))) km, \(spatial.kernel.rawValue)"
                + (spatial.lag > 0 ? ", lag \(spatial.lag)" : "")
        }
    }

    /// The coordinates, periods and units of a Conley covariance over the estimation sample;
    /// a missing or impossible coordinate is an error naming its row.
    static func spatialData(_ spatial: Spatial, _ table: Table, _ frame: ModelFrame) throws -> CovarianceData {
        var data = CovarianceData()
        for (name, limit, role) in [(spatial.latitude, 90.0, "latitude"), (spatial.longitude, 180.0, "longitude")] {
            guard let values = try table.column(name, for: "conley's \(role)").numericValues() else {
                throw StageFailure("conley's \(role) '\(name)' must be numeric (degrees)")
            }
            let used = frame.rows.map { values[$0] }
            if let index = used.firstIndex(where: { $0.isNaN || abs($0) > limit }) {
                throw StageFailure("conley's \(role) '\(name)' is \(used[index].isNaN ? "missing" : String(used[index])) in row \(frame.rows[index] + 1); \(role)s are degrees within ±\(Int(limit))")
            }
            if role == "latitude" { data.latitude = used } else { data.longitude = used }
        }
        if let time = spatial.time {
            guard let values = try table.column(time, for: "conley's time").numericValues() else { throw StageFailure("conley's time '\(time)' must be numeric (a year)") }
            let used = frame.rows.map { values[$0] }
            if let index = used.firstIndex(where: { $0.isNaN || $0 != $0.rounded() }) {
                throw StageFailure("conley's time '\(time)' is \(used[index]) in row \(frame.rows[index] + 1); periods are whole numbers")
            }
            data.times = used.map { Int($0) }
        }
        if let unit = spatial.unit {
            let codes = try table.column(unit, for: "conley's unit").levelCodes().codes
            data.units = frame.rows.map { Int(codes[$0]) }
        }
        return data
    }

    /// The wild cluster bootstrap a stage asks for (`bootstrap:`), checked.
    struct BootstrapRequest {
        var coefficient: String
        var seed: UInt64
        var draws: Int
        var weights: WildClusterBootstrap.Weights
        var imposeNull: Bool
        var level: Double
    }

    static func bootstrapRequest(_ context: StageContext, _ estimator: Estimator, _ covariance: Covariance) throws -> BootstrapRequest? {
        guard let map = context.params["bootstrap"]?.mapValue, !map.isEmpty else { return nil }
        let usage = "bootstrap takes {coefficient: NAME, seed: N, draws: 9999, weights: rademacher | webb, type: wcr | wcu, level: 0.95}"
        if let unknown = map.keys.sorted().first(where: { !["coefficient", "seed", "draws", "weights", "type", "level"].contains($0) }) {
            throw StageFailure("bootstrap has no '\(unknown)'; \(usage)")
        }
        guard case let .cluster(variables) = covariance, variables.count == 1 else {
            throw StageFailure("the wild cluster bootstrap resamples the clusters of a one-way clustered vcov; set vcov: {cluster: [COLUMN]}")
        }
        guard let coefficient = map["coefficient"]?.stringValue else { throw StageFailure("bootstrap needs the coefficient to test; \(usage)") }
        guard let seed = map["seed"]?.intValue, seed >= 0 else {
            throw StageFailure("bootstrap needs a seed, stated so that the p-value can be reproduced (e.g. seed: 20261207); \(usage)")
        }
        let draws = map["draws"]?.intValue ?? 9999
        guard let weights = WildClusterBootstrap.Weights(rawValue: map["weights"]?.stringValue ?? "rademacher"),
              let type = map["type"]?.stringValue ?? "wcr" as String?, ["wcr", "wcu"].contains(type) else { throw StageFailure(usage) }
        let level = map["level"]?.doubleValue ?? map["level"]?.intValue.map(Double.init) ?? 0.95
        guard level > 0, level < 1 else { throw StageFailure("bootstrap's level is a coverage between 0 and 1, e.g. 0.95") }
        return BootstrapRequest(coefficient: coefficient, seed: UInt64(seed), draws: Int(draws), weights: weights, imposeNull: type == "wcr", level: level)
    }

    static func fitLinear(_ frame: ModelFrame, _ weights: ObservationWeights?, _ covariance: Covariance, _ clusters: [[Int]], _ convention: String,
                          data: CovarianceData = CovarianceData(), demeaning: (tolerance: Double, maxSweeps: Int) = (1e-13, 10_000), bootstrap: BootstrapRequest? = nil,
                          into fit: inout [String: ParamValue]) throws {
        let instruments = frame.endogenous.isEmpty ? nil : LinearFixedEffectsFit.Instruments(endogenous: frame.endogenous, excluded: frame.instruments)
        let result = try LinearFixedEffectsFit(outcome: frame.outcome, regressors: frame.linearRegressors, fixedEffects: frame.absorbed, weights: weights,
                                               instruments: instruments, demeaningTolerance: demeaning.tolerance, maxSweeps: demeaning.maxSweeps)
        let (matrix, degrees) = try linearCovariance(result, covariance, clusters, convention, data: data, into: &fit)
        if let instrumental = result.instrumental {
            fit["iv"] = try instrumentalFields(result, instrumental, frame, covariance, clusters, convention, data: data)
        }
        if let bootstrap {
            let draws: WildClusterBootstrap
            do {
                draws = try result.wildClusterBootstrap(bootstrap.coefficient, clusters: clusters[0], draws: bootstrap.draws, weights: bootstrap.weights,
                                                        imposeNull: bootstrap.imposeNull, seed: bootstrap.seed, level: bootstrap.level)
            } catch { throw StageFailure(error.message) }
            // t as the table's clustered SE gives it (the bootstrap's own ratio leaves out the
            // small-sample factor, which cancels in every comparison).
            let index = result.names.firstIndex(of: draws.coefficient)!
            var fields: [String: ParamValue] = [
                "coefficient": .string(draws.coefficient), "type": .string(draws.imposeNull ? "WCR" : "WCU"), "weights": .string(draws.weights.rawValue),
                "draws": .int(Int64(draws.draws)), "enumerated": .bool(draws.enumerated), "clusters": .int(Int64(draws.clusters)),
                "seed": .int(Int64(bootstrap.seed)), "t": .double(abs(result.coefficients[index] - draws.null) / matrix[index, index].squareRoot()),
                "p_value": .double(draws.pValue), "level": .double(draws.level),
            ]
            if let interval = draws.confidenceInterval { fields["confidence_interval"] = .list([.double(interval.low), .double(interval.high)]) }
            fit["bootstrap"] = .map(fields)
        }
        fit["observations"] = .int(Int64(result.effectiveObservations))
        fit["degrees_of_freedom"] = .double(degrees)
        fit["coefficients"] = coefficientRows(result.names, result.coefficients, matrix, degrees: degrees)
        fit["vcov_matrix"] = .list((0..<matrix.rows).map { i in .list((0..<matrix.columns).map { .double(matrix[i, $0]) }) })
        fit["r2"] = .double(result.rSquared)
        if !frame.fixedEffects.isEmpty { fit["r2_within"] = .double(result.withinRSquared) }
        fit["residual_sum_of_squares"] = .double(result.residualSumOfSquares)
        fit["collinear"] = .list(result.dropped.map(ParamValue.string))
        fit["collinear_reasons"] = .list(zip(result.dropped, result.droppedReasons).map { name, reason in
            // "fixed effect k" named as the formula names it.
            let named = frame.fixedEffects.indices.reversed().reduce(reason) { text, index in
                text.replacingOccurrences(of: "fixed effect \(index + 1)", with: frame.fixedEffects[index].name)
            }
            return .map(["name": .string(name), "reason": .string(named)])
        })
        fit["converged"] = .bool(true)
    }

    /// The covariance `covariance` names for a linear fit under `convention`, with the degrees
    /// of freedom of its t and F tests; the kernel lag and a PSD adjustment go into `fit`.
    static func linearCovariance(_ result: LinearFixedEffectsFit, _ covariance: Covariance, _ clusters: [[Int]], _ convention: String,
                                 data: CovarianceData, into fit: inout [String: ParamValue]) throws -> (matrix: Matrix, degrees: Double) {
        let periods = data.periods
        // reghdfe (stata) leaves fixed effects nested in the clusters out of K, as fixest does;
        // areg (stata-areg), like OLS with dummies, counts every level.
        let adjustment: ClusterAdjustment = convention == "fixest" || convention == "stata" ? .fixest : .statsmodels
        var matrix: Matrix
        var degrees = result.effectiveObservations - Double(result.names.count + result.fixedEffectsRank)
        switch covariance {
        case .classical: matrix = result.iidCovariance
        case .hc1, .hc2, .hc3:
            do {
                matrix = try result.heteroskedasticCovariance(adjustment: covariance == .hc1 ? .hc1 : covariance == .hc2 ? .hc2 : .hc3)
            } catch let failure as LinearFixedEffectsFit.Failure {
                throw StageFailure(failure.message)
            }
        case let .kernel(driscollKraay, _, lags):
            guard convention == "statsmodels" else {
                throw StageFailure("vcov: \(describe(covariance)) is computed as statsmodels' \(driscollKraay ? "hac-groupsum" : "HAC") computes it; set convention: statsmodels")
            }
            let count = (periods.max() ?? -1) + 1
            if !driscollKraay, count != periods.count {
                throw StageFailure("newey_west needs one row per period, but \(periods.count) rows share \(count) periods; for a panel use driscoll_kraay (or cluster)")
            }
            let lags = lags ?? KernelCovariance.defaultLags(periods: count)
            matrix = result.kernelCovariance(periods: periods, lags: lags)
            if driscollKraay {
                // statsmodels' hac-groupsum scales as its clustered covariance, periods as clusters.
                let g = Double(count), n = result.effectiveObservations, k = Double(result.names.count + result.fixedEffectsRank)
                matrix = g / (g - 1) * (n - 1) / (n - k) * matrix
            }
            fit["vcov_lags"] = .int(Int64(lags))
        case let .spatial(spatial):
            matrix = result.spatialCovariance(latitude: data.latitude, longitude: data.longitude, cutoff: spatial.cutoff, kernel: spatial.kernel,
                                              periods: data.times, units: data.units, lag: spatial.lag)
        case .cluster:
            if clusters.count == 1 {
                matrix = result.clusteredCovariance(clusters[0], adjustment: adjustment)
            } else {
                let psd = SymmetricEigen.positiveSemidefinite(result.clusteredCovariance(clusters[0], clusters[1], adjustment: adjustment))
                matrix = psd.matrix
                if psd.adjusted { fit["vcov_adjustment"] = .string(psdRule) }
            }
            degrees = Double(clusters.map { Clusters($0).count }.min()! - 1)
        }
        return (matrix, degrees)
    }

    /// An IV fit's first stages (coefficients under the model's vcov, the excluded instruments'
    /// F) and, when overidentified, Sargan's test (classical vcov) or Hansen's J (robust or
    /// one-way clustered).
    static func instrumentalFields(_ result: LinearFixedEffectsFit, _ instrumental: LinearFixedEffectsFit.Instrumental, _ frame: ModelFrame,
                                   _ covariance: Covariance, _ clusters: [[Int]], _ convention: String, data: CovarianceData) throws -> ParamValue {
        var scratch: [String: ParamValue] = [:]
        let statistics = try result.firstStageStatistics { stage in try linearCovariance(stage, covariance, clusters, convention, data: data, into: &scratch) }
        var stages: [ParamValue] = []
        for (stage, statistic) in zip(instrumental.firstStages, statistics) {
            let (matrix, degrees) = try linearCovariance(stage, covariance, clusters, convention, data: data, into: &scratch)
            stages.append(.map(["endogenous": .string(statistic.endogenous), "coefficients": coefficientRows(stage.names, stage.coefficients, matrix, degrees: degrees),
                                "f": .double(statistic.statistic), "f_instruments": .int(Int64(statistic.instruments)),
                                "f_denominator_degrees": .double(statistic.denominatorDegrees), "f_p_value": .double(statistic.pValue),
                                "r2": .double(stage.rSquared)]))
        }
        var fields: [String: ParamValue] = [
            "endogenous": .list(instrumental.endogenous.map(ParamValue.string)),
            "instruments": .list(instrumental.instruments.map(ParamValue.string)),
            "first_stages": .list(stages),
        ]
        let overidentification: OveridentificationTest?
        switch covariance {
        case .classical: overidentification = result.sarganTest
        case .hc1: overidentification = result.hansenTest(clusters: nil)
        case .cluster where clusters.count == 1: overidentification = result.hansenTest(clusters: clusters[0])
        default: overidentification = nil
        }
        let weak: WeakIdentificationStatistic?
        switch covariance {
        case .classical: weak = result.weakIdentification(robust: false, clusters: nil)
        case .hc1: weak = result.weakIdentification(robust: true, clusters: nil)
        case .cluster where clusters.count == 1: weak = result.weakIdentification(robust: true, clusters: clusters[0])
        default: weak = nil
        }
        if let weak { fields["weak_identification"] = .map(["statistic": .string(weak.kind.rawValue), "f": .double(weak.statistic)]) }
        if let test = overidentification {
            fields["overidentification"] = .map(["test": .string(test.kind.rawValue), "statistic": .double(test.statistic),
                                                 "degrees": .int(Int64(test.degrees)), "p_value": .double(test.pValue)])
        }
        return .map(fields)
    }

    static func fitBinary(_ estimator: Estimator, _ frame: ModelFrame, _ covariance: Covariance, _ clusters: [[Int]],
                          _ convention: String, _ margins: String, into fit: inout [String: ParamValue]) throws {
        let convention = nonlinearConvention(convention)
        let result = try BinaryChoiceFit(estimator == .probit ? .probit : .logit, outcome: frame.outcome, design: frame.binaryDesign)
        let information: BinaryChoiceFit.Information = convention == "fixest" || convention == "sandwich" ? .expected : .observed
        let n = Double(result.observations), k = Double(result.names.count)
        var matrix: Matrix
        var adjusted = false
        switch covariance {
        case .classical:
            // fixest applies its small-sample factor to the iid covariance of a GLM too.
            matrix = result.classicalCovariance(information)
            if convention == "fixest" { matrix = (n - 1) / (n - k) * matrix }
        case .hc1:
            // statsmodels' HC1 for discrete models is HC0; Stata's ML robust scales by N/(N−1);
            // fixest and R sandwich's HC1 by N/(N−K).
            switch convention {
            case "statsmodels": matrix = result.heteroskedasticCovariance(information: information, adjustment: .none)
            case "stata": matrix = n / (n - 1) * result.heteroskedasticCovariance(information: information, adjustment: .none)
            default: matrix = result.heteroskedasticCovariance(information: information)
            }
        case .hc2, .hc3, .kernel, .spatial: throw StageFailure("vcov: \(describe(covariance)) is for linear models (ols, lpm, fe); probit and logit take classical, hc1 or a cluster")
        case .cluster where clusters.count == 2:
            let adjustment: ClusterAdjustment = convention == "fixest" ? .fixest : convention == "statsmodels" ? .statsmodels : .sandwich
            // Fixed, as fixest fixes it, on the regressors' block: neither the dummies of absorbed
            // effects nor the intercept they stand beside are in fixest's covariance.
            let block = (0..<result.regressorCount(fixedEffects: frame.fixedEffects.count)).filter {
                frame.fixedEffects.isEmpty || result.names[$0] != "(Intercept)"
            }
            (matrix, adjusted) = SymmetricEigen.positiveSemidefinite(result.clusteredCovariance(clusters[0], clusters[1], information: information,
                                                                                                 adjustment: adjustment), block: block)
        case .cluster:
            if convention == "fixest" {
                matrix = result.clusteredCovariance(clusters[0], information: information)
            } else {
                let g = Double(Clusters(result.usedRows.map { clusters[0][$0] }).count)
                let scale = convention == "statsmodels" ? g / (g - 1) * (n - 1) / (n - k) : g / (g - 1)
                matrix = result.clusteredCovariance(clusters[0], information: information, scale: scale)
            }
        }
        fit["observations"] = .int(Int64(result.observations))
        fit["coefficients"] = coefficientRows(result.names, result.coefficients, matrix, degrees: nil)
        fit["vcov_matrix"] = .list((0..<matrix.rows).map { i in .list((0..<matrix.columns).map { .double(matrix[i, $0]) }) })
        if adjusted { fit["vcov_adjustment"] = .string(psdRule) }
        fit["log_likelihood"] = .double(result.logLikelihood)
        fit["iterations"] = .int(Int64(result.iterations))
        fit["converged"] = .bool(true)
        guard (0..<matrix.rows).allSatisfy({ matrix[$0, $0].isFinite }) else {
            throw StageFailure("the information matrix is singular at the estimate, so no standard errors can be given; look for a regressor that (nearly) separates the outcome")
        }
        fit["collinear"] = .list(result.collinear.map(ParamValue.string))
        fit["separated"] = separatedLevels(result.separated)
        if margins != "none" {
            let method = MarginalEffectMethod.derivatives(frame.composition!)
            let effects = margins == "average" ? result.averageMarginalEffects(method, covariance: matrix)
                : result.marginalEffectsAtMeans(method, covariance: matrix)
            fit["margins"] = .map(["kind": .string(margins), "effects": coefficientRows(effects.map(\.name), effects.map(\.effect),
                                                                                      nil, degrees: nil, standardErrors: effects.map(\.standardError))])
        }
    }

    /// Poisson (PPML), and probit/logit with many fixed effects: the GLM engine, fixed effects
    /// absorbed.
    static func fitAbsorbed(_ family: GLMFamily, _ frame: ModelFrame, _ weights: ObservationWeights?, _ covariance: Covariance, _ clusters: [[Int]],
                            _ convention: String, _ options: GeneralizedLinearFit.IRLSOptions, into fit: inout [String: ParamValue]) throws {
        let result = try GeneralizedLinearFit(family, outcome: frame.outcome, regressors: frame.linearRegressors, fixedEffects: frame.absorbed,
                                              labels: frame.fixedEffects.map { ($0.name, $0.levels) }, weights: weights, options: options)
        let kind: GeneralizedLinearFit.GLMCovarianceKind
        switch covariance {
        case .classical: kind = .classical
        case .hc1: kind = .robust
        case .hc2, .hc3, .kernel, .spatial: throw StageFailure("vcov: \(describe(covariance)) is for linear models (ols, lpm, fe); \(family.rawValue) takes classical, hc1 or a cluster")
        case .cluster: kind = .clustered(clusters)
        }
        let (matrix, adjusted) = try result.covariance(kind, convention: GeneralizedLinearFit.GLMConvention(rawValue: nonlinearConvention(convention))!)
        fit["observations"] = .int(Int64(result.weights?.count ?? Double(result.observations)))
        fit["coefficients"] = coefficientRows(result.names, result.coefficients, matrix, degrees: nil)
        fit["vcov_matrix"] = .list((0..<matrix.rows).map { i in .list((0..<matrix.columns).map { .double(matrix[i, $0]) }) })
        if adjusted { fit["vcov_adjustment"] = .string(psdRule) }
        fit["log_likelihood"] = .double(result.logLikelihood)
        fit["deviance"] = .double(result.deviance)
        fit["iterations"] = .int(Int64(result.iterations))
        fit["converged"] = .bool(true)
        fit["engine"] = .string("irls, fixed effects absorbed")
        fit["collinear"] = .list(result.dropped.map { .string($0.name) })
        fit["collinear_reasons"] = .list(result.dropped.map { .map(["name": .string($0.name), "reason": .string($0.reason)]) })
        fit["separated"] = separatedLevels(result.separated)
        fit["observations_separated"] = .int(Int64(frame.outcome.count - result.observations))
        if family == .poisson { fit["observations_separated_by_regressors"] = .int(Int64(result.separatedByRegressors)) }
    }

    /// name, estimate, se, statistic, p-value and stars of each coefficient.
    static func coefficientRows(_ names: [String], _ estimates: [Double], _ matrix: Matrix?, degrees: Double?,
                                standardErrors: [Double]? = nil) -> ParamValue {
        .list(names.indices.map { index in
            let se = standardErrors?[index] ?? matrix![index, index].squareRoot()
            let test = CoefficientTest(estimate: estimates[index], standardError: se, degrees: degrees)
            return .map(["name": .string(names[index]), "estimate": .double(estimates[index]), "se": .double(se),
                         "statistic": .double(test.statistic), "p": .double(test.pValue), "stars": .string(test.stars)])
        })
    }
}

public struct OLSStage: Stage {
    public static let id = "models.ols"
    public static let version = 2
    public static let signature = ModelStages.signature("Ordinary least squares with an intercept.", "No fixed effects; see models.fe.")
    public init() {}
    public func run(_ context: StageContext) throws -> [String: Artifact] { try ModelStages.run(.ols, context) }
}

public struct FixedEffectsStage: Stage {
    public static let id = "models.fe"
    public static let version = 2
    public static let signature = ModelStages.signature(
        "Linear regression with fixed effects absorbed (alternating projections, as fixest and reghdfe).",
        "Within and overall R²; collinear regressors dropped and reported.")
    public init() {}
    public func run(_ context: StageContext) throws -> [String: Artifact] { try ModelStages.run(.fe, context) }
}

public struct LinearProbabilityStage: Stage {
    public static let id = "models.lpm"
    public static let version = 2
    public static let signature = ModelStages.signature(
        "Linear probability model of a 0/1 outcome, with any number of fixed effects absorbed.",
        "The estimator of models.fe on a binary outcome (liu-zhu-2021's robustness check).")
    public init() {}
    public func run(_ context: StageContext) throws -> [String: Artifact] { try ModelStages.run(.lpm, context) }
}

public struct ProbitStage: Stage {
    public static let id = "models.probit"
    public static let version = 2
    public static let signature = ModelStages.signature(
        "Probit; fixed effects as sparse dummies (up to 300 levels) or absorbed (beyond, as fixest's feglm).",
        ModelStages.binaryDocumentation)
    public init() {}
    public func run(_ context: StageContext) throws -> [String: Artifact] { try ModelStages.run(.probit, context) }
}

public struct PoissonStage: Stage {
    public static let id = "models.poisson"
    public static let version = 1
    public static let signature = ModelStages.signature(
        "Poisson pseudo-maximum likelihood (PPML) with any number of fixed effects absorbed, as fixest's fepois and Stata's ppmlhdfe.",
        """
        The outcome may be any non-negative number; zeros are kept (Santos Silva & Tenreyro 2006), so
        a gravity equation is `trade ~ rta + log_tariff | exporter^year + importer^year + exporter^importer`
        (Yotov et al. 2016). Fixed-effect levels whose outcome is all zero cannot be fitted and are
        dropped, counted and named in the fit (fixest's fixef.rm = "perfect", as ppmlhdfe); so are
        zero-outcome observations that the regressors and fixed effects separate together, found
        by Correia, Guimarães & Zylkin's iterative rectifier as ppmlhdfe's separation(fe ir) and
        pyfixest's separation_check find them (counted in observations_separated_by_regressors;
        the rows and the estimates after them equal pyfixest's, tested). A regressor the fixed
        effects absorb, or one left all zero by the drops, is dropped with the reason. Estimated by IRLS on
        demeaned variables; coefficients equal pyfixest's fepois and statsmodels' GLM with dummies
        within 1e-8 (tested).
        """)
    public init() {}
    public func run(_ context: StageContext) throws -> [String: Artifact] { try ModelStages.run(.poisson, context) }
}

public struct LogitStage: Stage {
    public static let id = "models.logit"
    public static let version = 2
    public static let signature = ModelStages.signature(
        "Logit; fixed effects as sparse dummies (up to 300 levels) or absorbed (beyond, as fixest's feglm).",
        ModelStages.binaryDocumentation)
    public init() {}
    public func run(_ context: StageContext) throws -> [String: Artifact] { try ModelStages.run(.logit, context) }
}
