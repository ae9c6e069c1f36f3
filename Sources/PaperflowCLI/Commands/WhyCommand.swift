import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow why`: the ingredients of a stage's key, and what changed between its runs.
struct WhyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "why",
        abstract: "Explain a stage's cache key: every ingredient, and which one changed since its previous run."
    )

    @Argument(help: ArgumentHelp("The workflow file.", valueName: "workflow"))
    var workflow: String

    @Argument(help: ArgumentHelp("The stage.", valueName: "stage"))
    var stage: String

    @OptionGroup var options: ProjectOptions

    func run() throws {
        let console = Console.shared
        let session = try WorkflowSession.open(workflow, options: options, console: console)
        let resolved = try session.stage(named: stage, console: console)
        let store = try session.openStore()
        let plan = try session.plan(store: store)
        try? store.memo.save()
        let entry = plan.entries.first { $0.stage == stage }!
        for line in Self.describe(resolved, entry: entry) { console.out(line) }

        // The stage's history: the last two runs with different keys, and what differed.
        let history = Self.history(of: stage, workflow: session.graph.workflowName, store: store)
        if let latestIndex = history.firstIndex(where: { $0.record.status == .ran }) {
            let latest = history[latestIndex]
            console.out("last executed in run \(latest.run)")
            if let previous = history[(latestIndex + 1)...].first(where: { $0.record.key != latest.record.key && $0.record.ingredients != nil }),
               let now = latest.record.ingredients, let before = previous.record.ingredients {
                console.out("it ran because, since run \(previous.run):")
                for change in now.changes(since: before) { console.out("  \(change)") }
            } else {
                console.out("it ran because no earlier run had its key (first run, or its outputs were gone from the store)")
            }
        } else {
            console.out("no run record shows this stage executing yet")
        }
    }

    static func describe(_ stage: ResolvedStage, entry: PlanEntry) -> [String] {
        var lines = ["stage \(stage.name) (\(stage.pluginReference)), defined at \(stage.location)"]
        lines.append("key ingredients:")
        lines.append("  plugin          \(stage.pluginID)")
        lines.append("  version         \(stage.pluginVersion)")
        lines.append("  implementation  \(stage.implementationDigest)")
        for name in stage.params.keys.sorted() { lines.append("  param \(name) = \(stage.params[name]!)") }
        if let ingredients = entry.ingredients {
            for port in ingredients.inputs.keys.sorted() {
                let sources = stage.inputs[port] ?? []
                for (digest, source) in zip(ingredients.inputs[port]!, sources) {
                    lines.append("  input \(port) ← \(source)  \(digest)")
                }
            }
            for path in ingredients.files.keys.sorted() { lines.append("  file \(path)  \(ingredients.files[path]!)") }
            lines.append("key \(entry.key!)")
        } else {
            for port in stage.inputs.keys.sorted() {
                for source in stage.inputs[port]! { lines.append("  input \(port) ← \(source)  (not known until it runs)") }
            }
        }
        switch entry.status {
        case .cached: lines.append("status: cached (outputs in the store for this key)")
        case .willRun: lines.append("status: will run: " + entry.reasons.joined(separator: "; "))
        case let .pending(upstream): lines.append("status: pending on \(upstream.joined(separator: ", "))")
        case .blocked: lines.append("status: blocked: " + entry.reasons.joined(separator: "; "))
        }
        return lines
    }

    /// Run-record entries of `stage` that executed (they carry the key's ingredients), newest first.
    static func history(of stage: String, workflow: String, store: ArtifactStore) -> [(run: String, record: StageRecord)] {
        var result: [(String, StageRecord)] = []
        for url in store.runRecordURLs().reversed() {
            guard let record = try? RunRecord(contentsOf: url), record.header.workflow == workflow else { continue }
            for entry in record.stages.reversed() where entry.stage == stage && entry.status == .ran {
                result.append((record.header.runID, entry))
            }
        }
        return result
    }
}
