import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow diff A B`: what differs between two runs of a workflow.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two runs of a workflow: the recipe (stages whose key changed, and why), every table cell that differs, and every model's estimates side by side.",
        discussion: """
            A and B are each 'lock' (the workflow's committed lock file), 'last' (its latest run),
            a run id (Artifacts/runs/ID.jsonl) or an experiment name ('paperflow exp list').
            Example: paperflow diff lock logit --format markdown
            """
    )

    @Argument(help: "The first side (lock, last, a run id or an experiment).") var before: String
    @Argument(help: "The second side.") var after: String

    @Option(help: ArgumentHelp("The workflow file that 'lock' and 'last' refer to (found from an experiment or run when one is named).", valueName: "file"))
    var workflow: String?

    @Option(help: "text, markdown, html or json.") var format: String = "text"
    @Option(help: "Differing cells listed per table.") var cells: Int = 20
    @Flag(help: "Compare probit and logit fits by their average marginal effects (when they report them, margins: average), the scale of an LPM's coefficients.")
    var margins = false

    @OptionGroup var options: ProjectOptions

    func validate() throws {
        guard ["text", "markdown", "html", "json"].contains(format) else {
            throw ValidationError("--format '\(format)': use text, markdown, html or json")
        }
    }

    func run() throws {
        let console = Console.shared
        let store = try ArtifactStore(root: options.storeRoot)
        let comparison: RunComparison
        do {
            comparison = try Self.compare(before, after, workflow: workflow, store: store, projectRoot: options.projectRoot, cells: cells,
                                          margins: margins)
        } catch {
            console.err("error: \(error)")
            throw ExitCode(1)
        }
        switch format {
        case "markdown": console.raw(comparison.markdown)
        case "html": console.raw(comparison.html)
        case "json": console.raw(String(decoding: JSONText.pretty(comparison.json), as: UTF8.self))
        default: console.raw(comparison.text)
        }
    }

    /// Resolves both sides (each names the workflow for the other when it can) and compares them.
    static func compare(_ a: String, _ b: String, workflow: String?, store: ArtifactStore, projectRoot: URL, cells: Int = 20,
                        margins: Bool = false) throws -> RunComparison {
        var file = workflow
        if file == nil {
            for side in [a, b] where side != "lock" && side != "last" {
                if let state = try? RunState.resolve(side, workflowFile: nil, projectRoot: projectRoot, store: store) { file = state.file; break }
            }
        }
        let first = try RunState.resolve(a, workflowFile: file, projectRoot: projectRoot, store: store)
        let second = try RunState.resolve(b, workflowFile: file ?? first.file, projectRoot: projectRoot, store: store)
        return RunComparison(first, second, store: store, cellLimit: cells, margins: margins)
    }
}
