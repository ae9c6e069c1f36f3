import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow report`: rebuilds `Artifacts/<workflow>/report.html` from the store — the latest
/// run of the workflow, or the one named — without running anything.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild a workflow's HTML report (tables, figures, provenance) from the store.",
        discussion: "Every run writes the report; this rewrites it, e.g. for an earlier run (--run) or after 'paperflow gc'."
    )

    @Argument(help: ArgumentHelp("The workflow file.", valueName: "workflow"))
    var workflow: String

    @Option(name: .customLong("run"), help: "The run id (default: the workflow's latest run); see Artifacts/runs/.")
    var runID: String?

    @OptionGroup var options: ProjectOptions

    func run() throws {
        let console = Console.shared
        let session = try WorkflowSession.open(workflow, options: options, console: console)
        let store = try session.openStore()
        var chosen: RunRecord?
        for url in store.runRecordURLs().reversed() {
            if let wanted = runID, url.deletingPathExtension().lastPathComponent != wanted { continue }
            guard let record = try? RunRecord(contentsOf: url), record.header.workflow == session.graph.workflowName else { continue }
            chosen = record
            break
        }
        guard let record = chosen else {
            console.err(runID.map { "error: no run '\($0)' of workflow '\(session.graph.workflowName)' in \(store.runsDirectory.path)" }
                ?? "error: workflow '\(session.graph.workflowName)' has not run yet; run 'paperflow run \(workflow)' first")
            throw ExitCode(1)
        }
        let url = try RunReport(graph: session.graph, record: record, store: store).write()
        console.out(url.path)
    }
}
