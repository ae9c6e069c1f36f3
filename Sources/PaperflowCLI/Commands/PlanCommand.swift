import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow plan`: a dry run that says what would run and why.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a run would do: each stage cached, will run (and why), or pending on upstream stages."
    )

    @Argument(help: ArgumentHelp("Workflow files, or directories of workflows.", valueName: "workflow"))
    var workflows: [String]

    @OptionGroup var options: ProjectOptions

    func run() throws {
        let console = Console.shared
        for path in try WorkflowSession.workflowPaths(workflows) {
            let session = try WorkflowSession.open(path, options: options, console: console)
            let store = try session.openStore()
            let plan = try session.plan(store: store)
            try? store.memo.save()
            console.out("\(session.graph.workflowName) (\(path)):")
            for line in Self.render(plan) { console.out(line) }
        }
    }

    static func render(_ plan: Plan) -> [String] {
        var lines: [String] = []
        for entry in plan.entries {
            switch entry.status {
            case .cached:
                lines.append("  cached   \(entry.stage)")
            case .willRun:
                lines.append("  run      \(entry.stage) (\(entry.plugin))")
                lines += entry.reasons.map { "             \($0)" }
            case let .pending(upstream):
                lines.append("  pending  \(entry.stage): after \(upstream.joined(separator: ", ")); skipped if their outputs come out unchanged")
                lines += entry.reasons.map { "             \($0)" }
            case .blocked:
                lines.append("  blocked  \(entry.stage)")
                lines += entry.reasons.map { "             \($0)" }
            }
        }
        let cached = plan.stages(.cached).count
        let willRun = plan.stages(.willRun).count
        let pending = plan.entries.filter { if case .pending = $0.status { return true } else { return false } }.count
        lines.append("  \(willRun) to run, \(pending) pending, \(cached) cached")
        return lines
    }
}
