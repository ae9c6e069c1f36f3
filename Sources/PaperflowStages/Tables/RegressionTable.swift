import Foundation
import PaperflowCore

/// Fits side by side as an economics journal prints them: a coefficient with its stars over its
/// standard error in parentheses, one column per model; fixed-effect indicator rows (YES/NO);
/// then N and the fit statistics asked for. Built from `models.*` fit artifacts; rendered through
/// `TableLayout`.
struct RegressionTable: Equatable {
    typealias Row = TableLayout.Row

    var titles: [String]
    var coefficients: [Row]
    var fixedEffects: [Row]
    var statistics: [Row]
    var notes: [String]
    var caption: String?

    struct Options {
        var labels: [String: String] = [:]
        /// Terms to show, in order; empty shows every term in order of first appearance.
        var order: [String] = []
        var statistics: [String] = ["observations", "r2"]
        var thresholds: [Double] = [0.1, 0.05, 0.01]
        var digits = 3
        var fixedEffectRows = true
        /// A row naming each column's estimator (and its standard errors, unless a row shows them),
        /// with this label; nil: no such row.
        var estimatorRow: String?
        var titles: [String] = []
        /// Columns (1-based) that show the fit's marginal effects instead of its coefficients.
        var marginColumns: [Int] = []
        var notes: String?
        var caption: String?
    }

    static let statisticLabels = ["observations": "Observations", "r2": "R²", "r2_within": "Within R²",
                                  "log_likelihood": "Log likelihood", "clusters": "Standard errors"]

    /// - Throws: `StageFailure` when a fit is not a `models.*` fit artifact or an option names
    ///   something no fit has.
    init(fits: [ParamValue], options: Options) throws {
        // A split fit (one model per group) becomes one column per group, titled by the group.
        var groupTitles: [String] = []
        let flattened = try fits.enumerated().flatMap { index, fit -> [[String: ParamValue]] in
            let groups = fit.mapValue?["groups"]?.listValue?.compactMap(\.mapValue)
            return try (groups ?? [fit.mapValue ?? [:]]).map { group in
                // A group's fit says what differs; the estimator and covariance are the split fit's.
                var map = group
                for key in ["estimator", "vcov"] where map[key] == nil { map[key] = fit.mapValue?[key] }
                guard map["coefficients"]?.listValue != nil else {
                    throw StageFailure("input fits[\(index)] is not a models.* fit artifact (it has no coefficients)")
                }
                groupTitles.append(map["group"]?.stringValue ?? "(\(groupTitles.count + 1))")
                return map
            }
        }
        var fits = flattened
        for column in options.marginColumns {
            guard (1...fits.count).contains(column) else {
                throw StageFailure("margins lists column \(column); the table has columns 1 to \(fits.count)")
            }
            guard let effects = fits[column - 1]["margins"]?.mapValue?["effects"] else {
                throw StageFailure("margins lists column \(column), whose fit has no marginal effects; fit it with margins: average")
            }
            fits[column - 1]["coefficients"] = effects
        }
        func rows(_ fit: [String: ParamValue]) -> [[String: ParamValue]] { fit["coefficients"]!.listValue!.compactMap(\.mapValue) }
        var terms: [String] = []
        for fit in fits { for row in rows(fit) where !terms.contains(row["name"]!.stringValue!) { terms.append(row["name"]!.stringValue!) } }
        if !options.order.isEmpty {
            for term in options.order where !terms.contains(term) {
                throw StageFailure("order lists '\(term)', which no fit has; terms: \(terms.joined(separator: ", "))")
            }
            terms = options.order
        }
        let format = "%.\(options.digits)f"
        func number(_ value: Double) -> String { String(format: format, value) }
        func stars(_ p: Double) -> String {
            String(repeating: "*", count: options.thresholds.sorted(by: >).filter { p < $0 }.count)
        }
        titles = options.titles.isEmpty ? groupTitles : options.titles
        guard titles.count == fits.count else {
            throw StageFailure("titles has \(titles.count) entries for \(fits.count) fits")
        }
        coefficients = terms.flatMap { term -> [Row] in
            let cells = fits.map { fit in rows(fit).first { $0["name"]?.stringValue == term } }
            return [Row(label: options.labels[term] ?? term,
                        cells: cells.map { $0.map { number($0["estimate"]!.doubleValue!) + stars($0["p"]!.doubleValue!) } ?? "" }),
                    Row(label: "", cells: cells.map { $0.map { "(" + number($0["se"]!.doubleValue!) + ")" } ?? "" }, isStandardError: true)]
        }
        var effects: [String] = []
        for fit in fits {
            for effect in fit["fixed_effects"]?.listValue ?? [] {
                if let name = effect.mapValue?["name"]?.stringValue, !effects.contains(name) { effects.append(name) }
            }
        }
        // A fixed effect's row: the user's label as written, else the variable's name and "FE".
        fixedEffects = options.fixedEffectRows ? effects.map { name in
            Row(label: options.labels[name] ?? name + " FE", cells: fits.map { fit in
                (fit["fixed_effects"]?.listValue ?? []).contains { $0.mapValue?["name"]?.stringValue == name } ? "YES" : "NO"
            })
        } : []
        if let label = options.estimatorRow {
            // Probit, logit and LPM side by side look alike without it; the standard errors join
            // the name unless the table has a row of its own for them.
            let showsErrors = options.statistics.contains("clusters")
            fixedEffects.append(Row(label: label, cells: fits.enumerated().map { column, fit in
                var name = Self.estimatorNames[fit["estimator"]?.stringValue ?? ""] ?? fit["estimator"]?.stringValue ?? ""
                if fit["iv"] != nil { name = fit["estimator"]?.stringValue == "lpm" ? "IV LPM" : "2SLS" }
                if options.marginColumns.contains(column + 1), !name.isEmpty { name += " AME" }
                let errors = Self.describe(vcov: fit["vcov"]?.stringValue ?? "")
                return showsErrors || errors.isEmpty || name.isEmpty ? name : "\(name), \(errors.prefix(1).lowercased() + errors.dropFirst()) SE"
            }))
        }
        statistics = try options.statistics.flatMap { statistic -> [Row] in
            if statistic == "tests" { return Self.testRows(fits, number: number) }
            if statistic == "iv" { return Self.instrumentRows(fits, number: number) }
            if statistic == "bootstrap" { return Self.bootstrapRows(fits, labels: options.labels, number: number) }
            guard let label = Self.statisticLabels[statistic] else {
                throw StageFailure("statistics lists '\(statistic)'; choose from \((Self.statisticLabels.keys + Self.rowGroups).sorted().joined(separator: ", "))")
            }
            return [Row(label: label, cells: fits.map { fit in
                switch (statistic, fit[statistic]) {
                case ("clusters", _): return Self.describe(vcov: fit["vcov"]?.stringValue ?? "")
                case let (_, .int(value)?): return value.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US_POSIX")))
                case let (_, .double(value)?): return number(value)
                default: return ""
                }
            })]
        }
        let levels = options.thresholds.sorted(by: >)
        notes = ["Standard errors in parentheses. " + levels.enumerated().reversed().map { index, level in
            "\(String(repeating: "*", count: index + 1)) p < \(level.formatted(.number.locale(Locale(identifier: "en_US_POSIX"))))"
        }.joined(separator: ", ") + "."] + Self.dropNotes(fits, titles: titles) + (options.notes.map { [$0] } ?? [])
        caption = options.caption
    }

    /// Statistics that are groups of rows rather than one: Wald tests, IV first stages.
    static let rowGroups = ["tests", "iv", "bootstrap"]

    /// For fits with a wild cluster bootstrap (models.* `bootstrap:`): its p-value and its
    /// confidence set, a row each per coefficient bootstrapped.
    static func bootstrapRows(_ fits: [[String: ParamValue]], labels: [String: String], number: (Double) -> String) -> [Row] {
        let results = fits.map { $0["bootstrap"]?.mapValue }
        var names: [String] = []
        for result in results { if let name = result?["coefficient"]?.stringValue, !names.contains(name) { names.append(name) } }
        return names.flatMap { name -> [Row] in
            let mine = results.map { $0?["coefficient"]?.stringValue == name ? $0 : nil }
            let level = mine.compactMap { $0?["level"]?.doubleValue }.first.map { "\(Int(($0 * 100).rounded()))%" } ?? ""
            let label = labels[name] ?? name
            // p = 0 says no draw of B went further: p < 1/B, shown as < 0.001 at three places.
            return [
                Row(label: "Wild bootstrap p: \(label)", cells: mine.map { result in
                    result?["p_value"]?.doubleValue.map { $0 < 0.0005 ? "< 0.001" : String(format: "%.3f", $0) } ?? ""
                }),
                Row(label: "Wild bootstrap \(level) CI: \(label)", cells: mine.map { result in
                    guard let bounds = result?["confidence_interval"]?.listValue?.compactMap(\.doubleValue), bounds.count == 2 else { return "" }
                    return "[\(number(bounds[0])), \(number(bounds[1]))]"
                }),
            ]
        }
    }

    /// For IV fits: a row per endogenous regressor with its first-stage F of the excluded
    /// instruments, the weak-identification F (Cragg–Donald, or Kleibergen–Paap under a robust
    /// or clustered vcov), and a row with the test of overidentifying restrictions (Sargan's or
    /// Hansen's J, with its p-value) where a fit is overidentified.
    static func instrumentRows(_ fits: [[String: ParamValue]], number: (Double) -> String) -> [Row] {
        var endogenous: [String] = []
        for fit in fits {
            for name in fit["iv"]?.mapValue?["endogenous"]?.listValue?.compactMap(\.stringValue) ?? [] where !endogenous.contains(name) { endogenous.append(name) }
        }
        func stage(_ fit: [String: ParamValue], _ name: String) -> [String: ParamValue]? {
            fit["iv"]?.mapValue?["first_stages"]?.listValue?.compactMap(\.mapValue).first { $0["endogenous"]?.stringValue == name }
        }
        var rows = endogenous.map { name in
            Row(label: "First-stage F: \(name)", cells: fits.map { fit in stage(fit, name)?["f"]?.doubleValue.map(number) ?? "" })
        }
        let weak = fits.map { $0["iv"]?.mapValue?["weak_identification"]?.mapValue }
        if weak.contains(where: { $0 != nil }) {
            let kinds = Set(weak.compactMap { $0?["statistic"]?.stringValue })
            let label = kinds == ["cragg-donald"] ? "Cragg–Donald F" : kinds == ["kleibergen-paap"] ? "Kleibergen–Paap rk Wald F" : "Weak-identification F (CD or KP)"
            rows.append(Row(label: label, cells: weak.map { $0?["f"]?.doubleValue.map(number) ?? "" }))
        }
        let tests = fits.map { $0["iv"]?.mapValue?["overidentification"]?.mapValue }
        if tests.contains(where: { $0 != nil }) {
            rows.append(Row(label: "Overidentification", cells: tests.map { test in
                guard let test, let statistic = test["statistic"]?.doubleValue, let p = test["p_value"]?.doubleValue else { return "" }
                return "\(test["test"]?.stringValue == "sargan" ? "Sargan" : "Hansen J") = \(number(statistic)) [p = \(String(format: "%.3f", p))]"
            }))
        }
        return rows
    }

    /// One row per Wald test any fit has (models.* `tests:`), labelled by its restriction: the
    /// statistic (F or χ²) with its p-value in brackets.
    static func testRows(_ fits: [[String: ParamValue]], number: (Double) -> String) -> [Row] {
        var restrictions: [String] = []
        for fit in fits {
            for test in fit["tests"]?.listValue ?? [] {
                if let text = test.mapValue?["restriction"]?.stringValue, !restrictions.contains(text) { restrictions.append(text) }
            }
        }
        return restrictions.map { restriction in
            Row(label: "Wald: " + restriction, cells: fits.map { fit in
                guard let test = fit["tests"]?.listValue?.compactMap(\.mapValue).first(where: { $0["restriction"]?.stringValue == restriction }),
                      let statistic = test["statistic"]?.doubleValue, let p = test["p"]?.doubleValue else { return "" }
                return "\(test["kind"]?.stringValue == "F" ? "F" : "χ²") = \(number(statistic)) [p = \(String(format: "%.3f", p))]"
            })
        }
    }

    /// One note per column that dropped something: observations in fixed-effect levels whose
    /// outcome cannot be fitted, and regressors dropped with the reason.
    static func dropNotes(_ fits: [[String: ParamValue]], titles: [String]) -> [String] {
        fits.enumerated().compactMap { column, fit in
            var parts: [String] = []
            let levels = fit["separated"]?.listValue?.compactMap(\.mapValue) ?? []
            if !levels.isEmpty {
                let count = levels.reduce(Int64(0)) { $0 + ($1["observations"]?.intValue ?? 0) }
                let factors = levels.compactMap { $0["factor"]?.stringValue }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                let outcome = fit["estimator"]?.stringValue == "poisson" ? "is all zero" : "never varies"
                parts.append("\(count.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US_POSIX")))) observations in "
                             + "\(levels.count) level\(levels.count == 1 ? "" : "s") of \(factors.joined(separator: ", ")) whose outcome \(outcome) dropped")
            }
            if let count = fit["observations_separated_by_regressors"]?.intValue, count > 0 {
                parts.append("\(count.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US_POSIX")))) observation\(count == 1 ? "" : "s") "
                             + "with a zero outcome separated by the regressors dropped (Correia, Guimarães & Zylkin's rectifier)")
            }
            let reasons = fit["collinear_reasons"]?.listValue?.compactMap(\.mapValue) ?? []
            if !reasons.isEmpty {
                parts += reasons.compactMap { row in
                    row["name"]?.stringValue.map { "\($0) dropped (\(row["reason"]?.stringValue ?? "collinear"))" }
                }
            } else if let names = fit["collinear"]?.listValue?.compactMap(\.stringValue), !names.isEmpty {
                parts.append(names.joined(separator: ", ") + " dropped (collinear)")
            }
            return parts.isEmpty ? nil : "\(titles[column]): " + parts.joined(separator: "; ") + "."
        }
    }

    /// The cells in the shared layout: a rule above the FE and statistics rows; "term" heads the CSV.
    var layout: TableLayout {
        let extras = !fixedEffects.isEmpty || !statistics.isEmpty
        return TableLayout(caption: caption, corner: "", csvCorner: "term", titles: titles,
                           rows: (coefficients + fixedEffects + statistics).map { TableLayout.Row(label: $0.label, cells: $0.cells, isStandardError: $0.isStandardError) },
                           rulesBefore: extras ? [coefficients.count] : [], notes: notes, htmlClass: "regression")
    }

    /// How an estimator reads in a table (`fe` is OLS with its fixed effects absorbed).
    static let estimatorNames = ["ols": "OLS", "fe": "OLS", "lpm": "LPM", "probit": "Probit", "logit": "Logit", "poisson": "Poisson"]

    /// How a fit's `vcov` reads in a table.
    static func describe(vcov: String) -> String {
        if vcov == "classical" { return "Classical" }
        if vcov == "hc1" { return "Robust (HC1)" }
        if vcov == "hc2" || vcov == "hc3" { return "Robust (\(vcov.uppercased()))" }
        if vcov.hasPrefix("cluster: ") { return "Clustered (\(vcov.dropFirst("cluster: ".count)))" }
        return vcov
    }

}
