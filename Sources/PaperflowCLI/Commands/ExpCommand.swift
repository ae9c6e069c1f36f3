import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow exp`: the experiments recorded in the store (DVC's `exp show/diff/apply`).
struct ExpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exp",
        abstract: "List, show, compare, apply and remove experiments (runs with --set or --name).",
        subcommands: [List.self, Show.self, Diff.self, Apply.self, Remove.self]
    )

    static func find(_ name: String, store: ArtifactStore) throws -> Experiment {
        let all = Experiment.all(in: store)
        guard let experiment = all.last(where: { $0.name == name }) else {
            Console.shared.err("error: no experiment '\(name)'" + NameSuggestion.didYouMean(name, in: all.map(\.name))
                               + (all.isEmpty ? "; run one with 'paperflow run W.yaml --set … --name NAME'" : ""))
            throw ExitCode(1)
        }
        return experiment
    }

    static func when(_ seconds: Double) -> String { RunReport.time(seconds) }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every experiment, oldest first.")
        @OptionGroup var options: ProjectOptions

        func run() throws {
            let store = try ArtifactStore(root: options.storeRoot)
            let all = Experiment.all(in: store)
            guard !all.isEmpty else { Console.shared.out("no experiments; run one with 'paperflow run W.yaml --set … --name NAME'"); return }
            for experiment in all {
                Console.shared.out("\(experiment.name)  \(experiment.workflow)  \(ExpCommand.when(experiment.started))  "
                                   + "\(experiment.succeeded ? "succeeded" : "failed")  \(experiment.overrides.map { "--set \($0)" }.joined(separator: " "))")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "An experiment's overrides, run, and how its recipe differs from the committed lock.")
        @Argument var name: String
        @OptionGroup var options: ProjectOptions

        func run() throws {
            let console = Console.shared
            let store = try ArtifactStore(root: options.storeRoot)
            let experiment = try ExpCommand.find(name, store: store)
            console.out("experiment \(experiment.name) of \(experiment.workflow) (\(experiment.file))")
            console.out("  run \(experiment.runID) at \(ExpCommand.when(experiment.started)): \(experiment.succeeded ? "succeeded" : "failed")")
            for override in experiment.overrides { console.out("  --set \(override)") }
            if !experiment.members.isEmpty {
                console.out("  \(experiment.members.count) members: \(experiment.members.joined(separator: ", "))")
            }
            console.out("  views: Artifacts/\(experiment.workflow)/experiments/\(experiment.name)/")
            if let comparison = try? DiffCommand.compare("lock", experiment.name, workflow: experiment.file, store: store, projectRoot: options.projectRoot) {
                console.out("  \(comparison.recipe.count) stage\(comparison.recipe.count == 1 ? "" : "s") differ from the committed lock"
                            + (comparison.recipe.isEmpty ? "" : ": " + comparison.recipe.map(\.stage).joined(separator: ", ")))
            }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "diff", abstract: "Compare an experiment with the committed lock, or with another experiment.")
        @Argument var name: String
        @Argument var other: String?
        @Option(help: "text, markdown, html or json.") var format: String = "text"
        @Flag(help: "Compare probit/logit average marginal effects with LPM coefficients.") var margins = false
        @OptionGroup var options: ProjectOptions

        func run() throws {
            let store = try ArtifactStore(root: options.storeRoot)
            let experiment = try ExpCommand.find(name, store: store)
            var command = DiffCommand()
            command.before = other == nil ? "lock" : name
            command.after = other ?? name
            command.workflow = experiment.file
            command.format = format
            command.margins = margins
            command.options = options
            try command.validate()
            try command.run()
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "apply",
            abstract: "Write an experiment's overrides into its workflow file, where each value stands (as dvc exp apply).")
        @Argument var name: String
        @OptionGroup var options: ProjectOptions

        func run() throws {
            let console = Console.shared
            let store = try ArtifactStore(root: options.storeRoot)
            let experiment = try ExpCommand.find(name, store: store)
            let url = options.projectRoot.appendingPathComponent(experiment.file)
            var text = try String(contentsOf: url, encoding: .utf8)
            do {
                for (index, argument) in experiment.overrides.enumerated() {
                    let override = try Override(parsing: argument, index: index + 1)
                    text = try YAMLEditing.replacingScalar(at: override.path, in: text, file: experiment.file, with: override.valueText)
                }
            } catch let problem as YAMLEditing.Problem {
                console.err("error: cannot apply \(name): \(problem); \(experiment.file) is unchanged")
                throw ExitCode(1)
            }
            try FileSystem.writeAtomically(Data(text.utf8), to: url)
            console.out("applied \(experiment.overrides.count) override\(experiment.overrides.count == 1 ? "" : "s") of \(name) to \(experiment.file); "
                        + "run it to update the lock (its outputs are cached)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Forget an experiment (gc may then delete its outputs) and its views.")
        @Argument var name: String
        @OptionGroup var options: ProjectOptions

        func run() throws {
            let store = try ArtifactStore(root: options.storeRoot)
            let experiment = try ExpCommand.find(name, store: store)
            let folder = Experiment.folder(experiment.workflow, in: store)
            let safe = ArtifactStore.safeFileName(experiment.name)
            FileSystem.removeTree(folder.appendingPathComponent("\(safe).json").path)
            FileSystem.removeTree(folder.appendingPathComponent("\(safe).lock").path)
            FileSystem.removeTree(store.root.appendingPathComponent("\(experiment.workflow)/experiments/\(safe)").path)
            Console.shared.out("removed experiment \(experiment.name)")
        }
    }
}
