import Foundation
import PaperflowCore
import PaperflowData

/// What differs between two runs of a workflow (`paperflow diff`): first the recipe — stages
/// whose key changed, and why, as `why` says it — then every table both sides produced, cell by
/// cell, and every model fit, as an etable-style grid of the two sides' estimates.
struct RunComparison {
    struct StageChange: Equatable {
        var stage: String
        /// Only on the new side, only on the old side, or a different key.
        var kind: String
        var reasons: [String]
    }

    struct CellChange: Equatable {
        var row: Int
        var column: String
        var before: String
        var after: String
    }

    struct TableChange: Equatable {
        var stage: String
        var output: String
        /// `rows × columns` on each side.
        var shapes: (String, String)
        var differing: Int
        var cells: [CellChange]
        var note: String?

        static func == (a: TableChange, b: TableChange) -> Bool {
            a.stage == b.stage && a.output == b.output && a.shapes == b.shapes && a.differing == b.differing && a.cells == b.cells && a.note == b.note
        }
    }

    struct Estimate: Equatable {
        var term: String
        var before: (estimate: Double, se: Double, p: Double)?
        var after: (estimate: Double, se: Double, p: Double)?

        var delta: Double? { before.flatMap { b in after.map { $0.estimate - b.estimate } } }
        /// Δ in units of the first side's standard error.
        var deltaOverSE: Double? { delta.flatMap { d in before.map { d / $0.se } } }
        var signFlip: Bool { (before?.estimate).map { b in (after?.estimate).map { ($0 < 0) != (b < 0) } ?? false } ?? false }
        var significanceFlip: Bool { (before?.p).map { b in (after?.p).map { ($0 < 0.05) != (b < 0.05) } ?? false } ?? false }

        static func == (a: Estimate, b: Estimate) -> Bool {
            a.term == b.term && a.before?.estimate == b.before?.estimate && a.after?.estimate == b.after?.estimate
                && a.before?.se == b.before?.se && a.after?.se == b.after?.se
        }
    }

    struct FitChange: Equatable {
        var stage: String
        var estimators: (String, String)
        var estimates: [Estimate]
        /// The fixed effects of the two sides (their dummies, where a side estimates them, are
        /// not rows of the grid: etable's convention), and the observations.
        var fixedEffects: (String, String)
        var observations: (Int, Int)

        static func == (a: FitChange, b: FitChange) -> Bool {
            a.stage == b.stage && a.estimators == b.estimators && a.estimates == b.estimates && a.fixedEffects == b.fixedEffects
                && a.observations == b.observations
        }
    }

    var before: RunState
    var after: RunState
    var recipe: [StageChange] = []
    var tables: [TableChange] = []
    var fits: [FitChange] = []
    /// Outputs that differ but are neither tables nor fits (figures, text), by stage.output.
    var otherOutputs: [String] = []

    /// Compares `before` with `after`, reading their outputs from `store`.
    /// - Parameter margins: compare a probit's or logit's average marginal effects (when its fit
    ///   has them) rather than its coefficients — the scale of an LPM's coefficients.
    init(_ before: RunState, _ after: RunState, store: ArtifactStore, cellLimit: Int = 20, margins: Bool = false) {
        self.before = before
        self.after = after
        let names = Set(before.entries.keys).union(after.entries.keys).sorted()
        for name in names {
            switch (before.entries[name], after.entries[name]) {
            case (nil, _?): recipe.append(StageChange(stage: name, kind: "added", reasons: []))
            case (_?, nil): recipe.append(StageChange(stage: name, kind: "removed", reasons: []))
            case let (a?, b?) where a.key != b.key:
                let reasons = a.ingredients.plugin == "?" || b.ingredients.plugin == "?"
                    ? ["its key changed (the ingredients of one side are no longer recorded)"] : b.ingredients.changes(since: a.ingredients)
                recipe.append(StageChange(stage: name, kind: "changed", reasons: reasons.isEmpty ? ["its key changed"] : reasons))
            default: break
            }
            guard let a = before.entries[name], let b = after.entries[name] else { continue }
            compareOutputs(a.outputs, b.outputs, label: name, store: store, cellLimit: cellLimit, margins: margins)
        }
        // A stage that a matrix axis (`--set stages.model.matrix.uses=[…]`) split into members:
        // each member is compared with the stage it came from (and the other way round).
        let onlyBefore = names.filter { after.entries[$0] == nil }, onlyAfter = names.filter { before.entries[$0] == nil }
        for (old, new) in Self.memberPairs(onlyBefore, onlyAfter) {
            let split = Self.labels(of: old).labels.count < Self.labels(of: new).labels.count
            let (member, origin) = split ? (new, old) : (old, new)
            if let index = recipe.firstIndex(where: { $0.stage == member }) {
                recipe[index].reasons = ["a member of \(origin) by its new matrix axis; compared with \(origin)"]
            }
            compareOutputs(before.entries[old]!.outputs, after.entries[new]!.outputs, label: "\(old) → \(new)", store: store,
                           cellLimit: cellLimit, margins: margins)
        }
    }

    /// Compares the outputs two stages share by port: tables cell by cell, fits as a grid.
    private mutating func compareOutputs(_ a: [String: OutputRecord], _ b: [String: OutputRecord], label: String, store: ArtifactStore,
                                         cellLimit: Int, margins: Bool) {
        for port in Set(a.keys).intersection(b.keys).sorted() {
            let x = a[port]!, y = b[port]!
            guard x.digest != y.digest else { continue }
            let urls = (store.blobURL(x.digest), store.blobURL(y.digest))
            if x.fileName.hasSuffix(".pftable") {
                tables.append(Self.compareTables(stage: label, output: port, urls, limit: cellLimit))
            } else if let fit = Self.compareFits(stage: label, urls, margins: margins) {
                fits.append(fit)
            } else {
                otherOutputs.append("\(label).\(port)")
            }
        }
    }

    /// A matrix stage's base name and labels: `model[1,models.logit@2]` → ("model", ["1", "models.logit@2"]).
    static func labels(of name: String) -> (base: Substring, labels: [Substring]) {
        guard name.hasSuffix("]"), let open = name.firstIndex(of: "[") else { return (name[...], []) }
        return (name[..<open], name[name.index(after: open)..<name.index(before: name.endIndex)].split(separator: ",", omittingEmptySubsequences: false))
    }

    /// Pairs of a stage on one side only with a member of it on the other: same base name, and
    /// the member's labels are the stage's with one more axis (`model[1]` and `model[1,logit]`,
    /// `model` and `model[logit]`), in either direction.
    static func memberPairs(_ before: [String], _ after: [String]) -> [(String, String)] {
        func isMember(_ member: String, of origin: String) -> Bool {
            let (m, o) = (labels(of: member), labels(of: origin))
            guard m.base == o.base, m.labels.count == o.labels.count + 1 else { return false }
            var rest = o.labels[...]
            for label in m.labels where label == rest.first { rest = rest.dropFirst() }
            return rest.isEmpty
        }
        var pairs: [(String, String)] = []
        for old in before {
            for new in after where isMember(new, of: old) || isMember(old, of: new) { pairs.append((old, new)) }
        }
        return pairs
    }

    static func compareTables(stage: String, output: String, _ urls: (URL, URL), limit: Int) -> TableChange {
        var change = TableChange(stage: stage, output: output, shapes: ("?", "?"), differing: 0, cells: [], note: nil)
        guard let a = try? BinaryTableFormat.read(contentsOf: urls.0), let b = try? BinaryTableFormat.read(contentsOf: urls.1) else {
            change.note = "one side's table is no longer in the store (gc); rerun it to compare"
            return change
        }
        change.shapes = ("\(a.rowCount) × \(a.names.count)", "\(b.rowCount) × \(b.names.count)")
        let columns = a.names.filter { b[$0] != nil }
        let added = b.names.filter { a[$0] == nil }, removed = a.names.filter { b[$0] == nil }
        var notes: [String] = []
        if !added.isEmpty { notes.append("columns added: \(added.joined(separator: ", "))") }
        if !removed.isEmpty { notes.append("columns removed: \(removed.joined(separator: ", "))") }
        if a.rowCount != b.rowCount { notes.append("rows: \(a.rowCount) → \(b.rowCount); cells compared in the first \(min(a.rowCount, b.rowCount))") }
        for column in columns {
            let x = a[column]!, y = b[column]!
            for row in 0..<min(a.rowCount, b.rowCount) where !x[row].matches(y[row]) {
                change.differing += 1
                if change.cells.count < limit {
                    change.cells.append(CellChange(row: row + 1, column: column, before: x[row].description, after: y[row].description))
                }
            }
        }
        change.note = notes.isEmpty ? nil : notes.joined(separator: "; ")
        return change
    }

    /// A grid of two fit artifacts' estimates, or nil when the outputs are not fits.
    static func compareFits(stage: String, _ urls: (URL, URL), margins: Bool = false) -> FitChange? {
        guard let a = fit(urls.0, margins: margins), let b = fit(urls.1, margins: margins) else { return nil }
        // A fixed effect's dummies (`year_2005`, estimated where a side does not absorb it).
        let effects = Set(a.fixedEffects + b.fixedEffects)
        func isDummy(_ term: String) -> Bool { effects.contains { term.hasPrefix($0 + "_") } }
        var terms = a.terms.filter { !isDummy($0) }
        for term in b.terms where !terms.contains(term) && !isDummy(term) { terms.append(term) }
        let estimates = terms.map { Estimate(term: $0, before: a.values[$0], after: b.values[$0]) }
        return FitChange(stage: stage, estimators: (a.estimator, b.estimator), estimates: estimates,
                         fixedEffects: (a.fixedEffects.joined(separator: ", "), b.fixedEffects.joined(separator: ", ")),
                         observations: (a.observations, b.observations))
    }

    static func fit(_ url: URL, margins: Bool = false) -> (estimator: String, terms: [String], values: [String: (estimate: Double, se: Double, p: Double)],
                                                          fixedEffects: [String], observations: Int)? {
        // Read with Paperflow's own JSON reader: Foundation's JSONSerialization on Linux can parse a
        // double one unit in the last place off, so a diff would show a number the fit does not hold.
        guard let data = try? Data(contentsOf: url), let object = (try? JSONReader.parse(data))?.mapValue,
              var rows = object["coefficients"]?.listValue?.compactMap(\.mapValue) else { return nil }
        var kind: String?
        if margins, let effects = object["margins"]?.mapValue, let effectRows = effects["effects"]?.listValue?.compactMap(\.mapValue) {
            rows = effectRows
            kind = effects["kind"]?.stringValue.map { $0 == "average" ? "AME" : "marginal effects at means" }
        }
        var terms: [String] = [], values: [String: (Double, Double, Double)] = [:]
        for row in rows {
            guard let name = row["name"]?.stringValue, let estimate = row["estimate"]?.doubleValue else { continue }
            terms.append(name)
            values[name] = (estimate, row["se"]?.doubleValue ?? .nan, row["p"]?.doubleValue ?? .nan)
        }
        let estimator = [object["estimator"]?.stringValue.map { name in kind.map { "\(name) \($0)" } ?? name }, object["vcov"]?.stringValue]
            .compactMap { $0 }.joined(separator: ", ")
        let effects = object["fixed_effects"]?.listValue?.compactMap { $0.mapValue?["name"]?.stringValue } ?? []
        let observations: Int
        if case let .int(count) = object["observations"] { observations = Int(count) } else { observations = 0 }
        return (estimator.isEmpty ? "model" : estimator, terms, values, effects, observations)
    }

    var isEmpty: Bool { recipe.isEmpty && tables.isEmpty && fits.isEmpty && otherOutputs.isEmpty }
}
