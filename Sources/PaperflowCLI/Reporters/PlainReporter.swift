import Foundation
import PaperflowCore

/// One line per event: what CI logs and pipes get.
final class PlainReporter: ExecutionEventSink {
    let console: Console
    /// `run --quiet`: only failures, warnings and the summary line.
    let quiet: Bool

    init(console: Console, quiet: Bool = false) {
        self.console = console
        self.quiet = quiet
    }

    func handle(_ event: ExecutionEvent) {
        if quiet {
            switch event {
            case .stageFailed, .warning, .runFinished: break
            default: return
            }
        }
        switch event {
        case let .runStarted(runID, workflow, count):
            console.out("\(workflow): \(count) stage\(count == 1 ? "" : "s") (run \(runID))")
        case let .stageCached(stage, _):
            console.out("cached   \(stage)")
        case let .stageStarted(stage, plugin, _):
            console.out("run      \(stage) (\(plugin))")
            console.flush()  // a log shows what is running while it runs
        case .stageProgress:
            break
        case let .stageFinished(stage, seconds):
            console.out("done     \(stage) \(Self.format(seconds))")
        case let .stageFailed(stage, message):
            console.err("FAILED   \(stage): \(message)")
        case let .stageSkipped(stage, reason):
            console.out("skipped  \(stage): \(reason)")
        case let .warning(stage, message):
            console.err("warning: \(stage.map { "\($0): " } ?? "")\(message)")
        case let .note(stage, message):
            console.out("note:    \(stage): \(message)")
        case let .runFinished(summary):
            console.out(Self.summaryLine(summary))
            console.flush()
        }
    }

    static func summaryLine(_ summary: RunSummary) -> String {
        var parts = ["\(summary.ran.count) ran", "\(summary.cached.count) cached"]
        if !summary.failed.isEmpty { parts.append("\(summary.failed.count) failed") }
        if !summary.skipped.isEmpty { parts.append("\(summary.skipped.count) skipped") }
        if !summary.cancelled.isEmpty { parts.append("\(summary.cancelled.count) cancelled") }
        return "\(summary.workflow): \(parts.joined(separator: ", ")) in \(format(summary.seconds))"
    }

    static func format(_ seconds: Double) -> String {
        seconds < 1 ? String(format: "%.0f ms", seconds * 1000) : String(format: "%.2f s", seconds)
    }
}
