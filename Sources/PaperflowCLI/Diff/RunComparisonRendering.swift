import Foundation
import PaperflowCore
import PaperflowStages

/// `paperflow diff`'s four forms of one comparison: text for a terminal, Markdown for a pull
/// request, HTML for a report, JSON for scripts. Numbers print with four significant digits in
/// the first three, full precision in JSON.
extension RunComparison {
    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "" }
        return String(format: "%.4g", value)
    }

    static func estimate(_ value: (estimate: Double, se: Double, p: Double)?) -> String {
        guard let value else { return "—" }
        return "\(number(value.estimate)) (\(number(value.se)))"
    }

    static func flags(_ estimate: Estimate) -> String {
        [estimate.signFlip ? "sign" : nil, estimate.significanceFlip ? "significance (5%)" : nil].compactMap { $0 }.joined(separator: ", ")
    }

    /// Fixed effects and observations of the two sides, in one phrase.
    static func context(_ fit: FitChange) -> String {
        let effects = fit.fixedEffects.0 == fit.fixedEffects.1
            ? "fixed effects \(fit.fixedEffects.0.isEmpty ? "none" : fit.fixedEffects.0)"
            : "fixed effects \(fit.fixedEffects.0.isEmpty ? "none" : fit.fixedEffects.0) → \(fit.fixedEffects.1.isEmpty ? "none" : fit.fixedEffects.1)"
        let n = fit.observations.0 == fit.observations.1 ? "N \(fit.observations.0)" : "N \(fit.observations.0) → \(fit.observations.1)"
        return "\(effects) (their dummies not shown); \(n)"
    }

    /// The grid of a fit change as rows of cells: term, A, B, Δ, Δ/SE, flags.
    static func grid(_ fit: FitChange) -> [[String]] {
        fit.estimates.map { [$0.term, estimate($0.before), estimate($0.after), number($0.delta), number($0.deltaOverSE), flags($0)] }
    }

    var headline: String { "diff \(before.label) → \(after.label), workflow \(after.workflow)" }

    var text: String {
        var lines = [headline]
        if isEmpty { return (lines + ["no differences: the same keys and outputs"]).joined(separator: "\n") + "\n" }
        lines.append("recipe: \(recipe.count) stage\(recipe.count == 1 ? "" : "s") differ")
        for change in recipe {
            lines.append("  \(change.kind.padding(toLength: 8, withPad: " ", startingAt: 0)) \(change.stage)")
            lines += change.reasons.map { "             \($0)" }
        }
        for table in tables {
            lines.append("table \(table.stage).\(table.output): \(table.differing) cell\(table.differing == 1 ? "" : "s") differ (\(table.shapes.0) → \(table.shapes.1))")
            if let note = table.note { lines.append("  \(note)") }
            lines += table.cells.map { "  row \($0.row), \($0.column): \($0.before) → \($0.after)" }
            if table.differing > table.cells.count { lines.append("  … \(table.differing - table.cells.count) more") }
        }
        for fit in fits {
            lines.append("fit \(fit.stage): \(fit.estimators.0) → \(fit.estimators.1); \(Self.context(fit))")
            let rows = [["term", "A (SE)", "B (SE)", "Δ", "Δ/SE(A)", "flips"]] + Self.grid(fit)
            let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                lines.append("  " + row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces))
            }
        }
        if !otherOutputs.isEmpty { lines.append("other outputs that differ: \(otherOutputs.joined(separator: ", "))") }
        return lines.joined(separator: "\n") + "\n"
    }

    var markdown: String {
        var lines = ["## \(Markup.markdownCell(headline))", ""]
        if isEmpty { return (lines + ["No differences: the same keys and outputs."]).joined(separator: "\n") + "\n" }
        lines += ["### Recipe", "", "| stage | change | why |", "|---|---|---|"]
        for change in recipe {
            lines.append("| \(Markup.markdownCell(change.stage)) | \(change.kind) | \(Markup.markdownCell(change.reasons.joined(separator: "; "))) |")
        }
        for table in tables {
            lines += ["", "### Table `\(table.stage).\(table.output)`", "",
                      "\(table.differing) cells differ (\(table.shapes.0) → \(table.shapes.1))." + (table.note.map { " \($0)." } ?? "")]
            if !table.cells.isEmpty {
                lines += ["", "| row | column | A | B |", "|---:|---|---|---|"]
                lines += table.cells.map { "| \($0.row) | \(Markup.markdownCell($0.column)) | \(Markup.markdownCell($0.before)) | \(Markup.markdownCell($0.after)) |" }
            }
        }
        for fit in fits {
            lines += ["", "### Fit `\(fit.stage)`: \(fit.estimators.0) → \(fit.estimators.1)", "", Self.context(fit) + ".", "",
                      "| term | A (SE) | B (SE) | Δ | Δ/SE(A) | flips |", "|---|---:|---:|---:|---:|---|"]
            lines += Self.grid(fit).map { "| " + $0.map(Markup.markdownCell).joined(separator: " | ") + " |" }
        }
        if !otherOutputs.isEmpty { lines += ["", "Other outputs that differ: " + otherOutputs.map { "`\($0)`" }.joined(separator: ", ") + "."] }
        return lines.joined(separator: "\n") + "\n"
    }

    var html: String {
        var parts = ["<section class=\"diff\">", "<h2>\(Markup.escape(headline))</h2>"]
        if isEmpty { return (parts + ["<p>No differences: the same keys and outputs.</p>", "</section>"]).joined(separator: "\n") + "\n" }
        parts.append("<h3>Recipe</h3>\n<table><thead><tr><th>stage</th><th>change</th><th>why</th></tr></thead><tbody>")
        for change in recipe {
            parts.append("<tr><td>\(Markup.escape(change.stage))</td><td>\(change.kind)</td><td>\(change.reasons.map(Markup.escape).joined(separator: "<br>"))</td></tr>")
        }
        parts.append("</tbody></table>")
        for table in tables {
            parts.append("<h3>Table <code>\(Markup.escape(table.stage)).\(Markup.escape(table.output))</code></h3>")
            parts.append("<p>\(table.differing) cells differ (\(table.shapes.0) → \(table.shapes.1)).\(table.note.map { " " + Markup.escape($0) + "." } ?? "")</p>")
            if !table.cells.isEmpty {
                parts.append("<table><thead><tr><th>row</th><th>column</th><th>A</th><th>B</th></tr></thead><tbody>")
                parts += table.cells.map { "<tr><td>\($0.row)</td><td>\(Markup.escape($0.column))</td><td>\(Markup.escape($0.before))</td><td>\(Markup.escape($0.after))</td></tr>" }
                parts.append("</tbody></table>")
            }
        }
        for fit in fits {
            parts.append("<h3>Fit <code>\(Markup.escape(fit.stage))</code>: \(Markup.escape(fit.estimators.0)) → \(Markup.escape(fit.estimators.1))</h3>")
            parts.append("<p>\(Markup.escape(Self.context(fit))).</p>")
            parts.append("<table><thead><tr><th>term</th><th>A (SE)</th><th>B (SE)</th><th>Δ</th><th>Δ/SE(A)</th><th>flips</th></tr></thead><tbody>")
            for row in Self.grid(fit) {
                let flagged = !row[5].isEmpty ? " class=\"flip\"" : ""
                parts.append("<tr\(flagged)>" + row.map { "<td>\(Markup.escape($0))</td>" }.joined() + "</tr>")
            }
            parts.append("</tbody></table>")
        }
        if !otherOutputs.isEmpty { parts.append("<p>Other outputs that differ: \(otherOutputs.map { "<code>\(Markup.escape($0))</code>" }.joined(separator: ", ")).</p>") }
        parts.append("</section>")
        return parts.joined(separator: "\n") + "\n"
    }

    var json: ParamValue {
        func value(_ x: Double?) -> ParamValue { x.map { $0.isFinite ? .double($0) : .null } ?? .null }
        func side(_ v: (estimate: Double, se: Double, p: Double)?) -> ParamValue {
            v.map { .map(["estimate": value($0.estimate), "se": value($0.se), "p": value($0.p)]) } ?? .null
        }
        return .map([
            "before": .string(before.label), "after": .string(after.label), "workflow": .string(after.workflow),
            "recipe": .list(recipe.map { .map(["stage": .string($0.stage), "change": .string($0.kind), "reasons": .list($0.reasons.map(ParamValue.string))]) }),
            "tables": .list(tables.map { table in
                .map(["stage": .string(table.stage), "output": .string(table.output), "differing_cells": .int(Int64(table.differing)),
                      "shape_before": .string(table.shapes.0), "shape_after": .string(table.shapes.1), "note": table.note.map(ParamValue.string) ?? .null,
                      "cells": .list(table.cells.map { .map(["row": .int(Int64($0.row)), "column": .string($0.column), "before": .string($0.before), "after": .string($0.after)]) })])
            }),
            "fits": .list(fits.map { fit in
                .map(["stage": .string(fit.stage), "estimator_before": .string(fit.estimators.0), "estimator_after": .string(fit.estimators.1),
                      "fixed_effects_before": .string(fit.fixedEffects.0), "fixed_effects_after": .string(fit.fixedEffects.1),
                      "observations_before": .int(Int64(fit.observations.0)), "observations_after": .int(Int64(fit.observations.1)),
                      "estimates": .list(fit.estimates.map { e in
                          .map(["term": .string(e.term), "before": side(e.before), "after": side(e.after), "delta": value(e.delta),
                                "delta_over_se": value(e.deltaOverSE), "sign_flip": .bool(e.signFlip), "significance_flip": .bool(e.significanceFlip)])
                      })])
            }),
            "other_outputs": .list(otherOutputs.map(ParamValue.string)),
        ])
    }
}
