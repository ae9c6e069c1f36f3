import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow status`: is each workflow up to date, and how did its last run end?
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say whether each workflow is up to date, which stages are stale, and how the last run ended."
    )

    @Argument(help: ArgumentHelp("Workflow files, or directories of workflows (default: Workflows/).", valueName: "workflow"))
    var workflows: [String] = []

    @OptionGroup var options: ProjectOptions

    @Flag(help: "For CI logs: each workflow's last run as cache hits (local, remote) and misses, one line each, and the stages that missed.")
    var ci = false

    func run() throws {
        let console = Console.shared
        let arguments = workflows.isEmpty ? [options.projectRoot.appendingPathComponent("Workflows").path] : workflows
        if ci {
            try cacheReport(arguments, console: console)
            return
        }
        var stale = false
        for path in try WorkflowSession.workflowPaths(arguments) {
            let session = try WorkflowSession.open(path, options: options, console: console)
            let store = try session.openStore()
            let plan = try session.plan(store: store)
            let notCached = plan.entries.filter { $0.status != .cached }
            let state = notCached.isEmpty ? "up to date" : "\(notCached.count) of \(plan.entries.count) stages to run"
            console.out("\(session.graph.workflowName): \(state)")
            for entry in notCached {
                let reason = entry.reasons.first.map { ": \($0)" } ?? ""
                switch entry.status {
                case let .pending(upstream): console.out("  pending  \(entry.stage) (after \(upstream.joined(separator: ", ")))\(reason)")
                case .blocked: console.out("  blocked  \(entry.stage)\(reason)")
                default: console.out("  stale    \(entry.stage)\(reason)")
                }
            }
            if let last = Self.lastRun(of: session.graph.workflowName, in: store) {
                let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: last.header.started))
                let outcome: String
                if let footer = last.footer {
                    outcome = footer.succeeded ? "succeeded" : "failed"
                } else {
                    outcome = "did not finish (interrupted or killed)"
                }
                console.out("  last run \(last.header.runID) at \(when): \(outcome); \(last.stages(.ran).count) ran, \(last.stages(.cached).count) cached, \(last.stages(.failed).count) failed")
                if let experiment = last.header.experiment {
                    console.out("  it was experiment '\(experiment)' (\(last.header.overrides.map { "--set \($0)" }.joined(separator: " "))): "
                                + "the workflow as written is described by the lock; compare with 'paperflow diff lock \(experiment)'")
                }
            } else {
                console.out("  never run")
            }
            stale = stale || !notCached.isEmpty
        }
    }

    /// `status --ci`: `WORKFLOW: N hits (L local, R remote), M misses` from each last run, then
    /// `  miss  STAGE` lines; a workflow never run is all misses to come.
    func cacheReport(_ arguments: [String], console: Console) throws {
        var totals = (hits: 0, remote: 0, misses: 0)
        for path in try WorkflowSession.workflowPaths(arguments) {
            let session = try WorkflowSession.open(path, options: options, console: console)
            guard let last = Self.lastRun(of: session.graph.workflowName, in: try session.openStore()) else {
                console.out("\(session.graph.workflowName): never run")
                continue
            }
            let cached = last.stages.filter { $0.status == .cached }
            let remote = cached.filter { $0.message?.hasPrefix("fetched from ") == true }
            let misses = last.stages.filter { $0.status == .ran || $0.status == .failed }
            totals.hits += cached.count
            totals.remote += remote.count
            totals.misses += misses.count
            console.out("\(session.graph.workflowName): \(cached.count) hits (\(cached.count - remote.count) local, \(remote.count) remote), "
                        + "\(misses.count) misses (run \(last.header.runID))")
            for stage in misses { console.out("  miss  \(stage.stage)") }
        }
        console.out("cache: \(totals.hits) hits (\(totals.remote) remote), \(totals.misses) misses")
    }

    /// The newest run record of `workflow`.
    static func lastRun(of workflow: String, in store: ArtifactStore) -> RunRecord? {
        for url in store.runRecordURLs().reversed() {
            if let record = try? RunRecord(contentsOf: url), record.header.workflow == workflow { return record }
        }
        return nil
    }
}
