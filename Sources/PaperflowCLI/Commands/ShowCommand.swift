import ArgumentParser
import Foundation
import PaperflowCore
import PaperflowData

/// `paperflow show`: prints a stage's output from the store.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a stage's output (a table as CSV) or list its outputs, as recorded in the workflow's lock file."
    )

    @Argument(help: ArgumentHelp("The workflow file.", valueName: "workflow"))
    var workflow: String

    @Argument(help: ArgumentHelp("STAGE or STAGE.OUTPUT.", valueName: "stage[.output]"))
    var target: String

    @Flag(help: "Print a table's stored bytes instead of CSV.")
    var raw = false

    @OptionGroup var options: ProjectOptions

    func run() throws {
        let console = Console.shared
        let session = try WorkflowSession.open(workflow, options: options, console: console)
        let reference = OutputReference(parsing: target)
        let stageName = session.graph.stage(target) != nil ? target : (reference?.stage ?? target)
        let stage = try session.stage(named: stageName, console: console)
        guard let entry = try WorkflowLock.read(from: session.lockURL)?.stages[stage.name] else {
            console.err("error: stage '\(stage.name)' has not run yet; run 'paperflow run \(workflow)' first")
            throw ExitCode(1)
        }
        let store = try session.openStore()
        let outputName = stageName == target ? (entry.outputs.count == 1 ? entry.outputs.keys.first : nil) : reference?.output
        guard let outputName else {
            console.out("outputs of \(stage.name):")
            for name in entry.outputs.keys.sorted() {
                let output = entry.outputs[name]!
                console.out("  \(name)  \(output.size) bytes  \(output.digest)")
            }
            return
        }
        guard let output = entry.outputs[outputName] else {
            console.err("error: stage '\(stage.name)' has no output '\(outputName)'"
                        + NameSuggestion.didYouMean(outputName, in: entry.outputs.keys))
            throw ExitCode(1)
        }
        guard case let .present(artifact) = store.check(output.digest, removeCorrupt: false) else {
            console.err("error: output \(stage.name).\(outputName) (\(output.digest.short)) is not in the store; run the workflow again")
            throw ExitCode(1)
        }
        // Tables are stored in the binary format; people and pipes want CSV.
        let bytes = try artifact.data()
        if !raw, BinaryTableFormat.isTable(bytes) {
            let table = try bytes.withUnsafeBytes { try BinaryTableFormat.decode($0) }
            FileHandle.standardOutput.write(Data(CSVWriter.write(table, delimiter: UInt8(ascii: ","))))
        } else {
            FileHandle.standardOutput.write(bytes)
        }
    }
}
