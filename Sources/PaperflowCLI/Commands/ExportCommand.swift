import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow export crate`: a run's provenance as a Workflow Run RO-Crate.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a run's provenance.",
        subcommands: [CrateCommand.self]
    )

    struct CrateCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crate",
            abstract: "Write a Workflow Run RO-Crate (Provenance Run Crate 0.5, RO-Crate 1.1) of a workflow's run.",
            discussion: """
                OUT/ gets ro-crate-metadata.json, the workflow and its lock, and the run's labelled \
                outputs; every other artifact is described (sha256, size, format) without being \
                copied. The run is the latest complete one unless --run names another.
                """
        )

        @Argument(help: ArgumentHelp("The workflow file, then the folder to write.", valueName: "workflow|folder"))
        var arguments: [String]

        @Option(name: .customLong("run"), help: ArgumentHelp("The run to describe (a run id from Artifacts/runs/).", valueName: "id"))
        var runID: String?

        @OptionGroup var options: ProjectOptions

        func validate() throws {
            if arguments.count != 2 { throw ValidationError("name one workflow and the folder: paperflow export crate Workflows/W.yaml OUT/") }
        }

        func run() throws {
            let console = Console.shared
            let published = try PublishedWorkflow.open(arguments[0], options: options, console: console)
            let out = WorkflowSession.url(of: arguments[1])
            do {
                try ReplicationPackage.requireNewFolder(out, for: "the crate")
                try FileSystem.makeDirectory(out)
                let package = ReplicationPackage(workflows: [published], projectRoot: options.projectRoot)
                try package.copy(published.relativePath, into: out)
                try package.copy(PublishedWorkflow.relative(published.session.lockURL, to: options.projectRoot), into: out)
                try package.copyExhibits(of: published, into: out)
                var crate = RunCrate(workflows: [published], build: PaperflowVersion.build, root: out)
                if let runID { crate.runIDs[published.name] = runID }
                try FileSystem.writeAtomically(Data(try crate.metadata().utf8), to: out.appendingPathComponent(RunCrate.metadataFileName))
                console.out("crate: \(out.appendingPathComponent(RunCrate.metadataFileName).path)")
            } catch let failure as ReplicationPackage.Failure {
                console.err("error: \(failure)"); throw ExitCode.failure
            } catch let failure as RunCrate.Failure {
                console.err("error: \(failure)"); throw ExitCode.failure
            }
        }
    }
}
