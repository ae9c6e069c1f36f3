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

    @Argument(help: ArgumentHelp("STAGE, STAGE.OUTPUT or STAGE.FILE (the name under Artifacts/, e.g. table1.table.md).", valueName: "stage[.output]"))
    var target: String

    @Flag(help: "Print a table's stored bytes instead of CSV.")
    var raw = false

    @Option(help: "Print only the first N rows of a table.") var head: Int?
    @Option(help: ArgumentHelp("Print only these columns of a table (comma-separated).", valueName: "a,b")) var columns: String?
    @Flag(help: "Describe a table instead: rows, and per column its type, missing count, and min / max / mean or distinct values.")
    var summary = false

    @OptionGroup var options: ProjectOptions

    func run() throws {
        let console = Console.shared
        let session = try WorkflowSession.open(workflow, options: options, console: console)
        // STAGE, or STAGE.REST where REST is an output port or the file name it is shown under
        // (`table1.table.md`); stage names may contain dots and brackets, so the longest match wins.
        let stageName = session.graph.stage(target) != nil ? target
            : session.graph.stages.map(\.name).filter { target.hasPrefix($0 + ".") }.max { $0.count < $1.count } ?? OutputReference(parsing: target)?.stage ?? target
        let rest = stageName == target ? nil : String(target.dropFirst(stageName.count + 1))
        let stage = try session.stage(named: stageName, console: console)
        guard let entry = try WorkflowLock.read(from: session.lockURL)?.stages[stage.name] else {
            console.err("error: stage '\(stage.name)' has not run yet; run 'paperflow run \(workflow)' first")
            throw ExitCode(1)
        }
        let store = try session.openStore()
        let outputName = rest.map { rest in entry.outputs.first { $0.value.fileName == rest }?.key ?? rest }
            ?? (entry.outputs.count == 1 ? entry.outputs.keys.first : nil)
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
            var table = try bytes.withUnsafeBytes { try BinaryTableFormat.decode($0) }
            if let columns {
                let names = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                for name in names where table[name] == nil {
                    console.err("error: \(stage.name).\(outputName) has no column '\(name)'; it has \(table.names.joined(separator: ", "))")
                    throw ExitCode(1)
                }
                table = try table.selecting(names)
            }
            if summary {
                console.raw(Self.describe(table))
                return
            }
            if let head, head < table.rowCount { table = table.take(Array(0..<max(0, head))) }
            FileHandle.standardOutput.write(Data(CSVWriter.write(table, delimiter: UInt8(ascii: ","))))
        } else {
            FileHandle.standardOutput.write(bytes)
        }
    }

    /// `show --summary`: rows; per column its type, missing values, and min / max / mean of
    /// numbers or the number of distinct values of text.
    static func describe(_ table: Table) -> String {
        var lines = ["\(table.rowCount) rows, \(table.names.count) columns", "column,type,missing,min,max,mean,distinct"]
        for name in table.names {
            let column = table[name]!
            var missing = 0
            var numbers: [Double] = []
            var distinct = Set<String>()
            for row in 0..<table.rowCount {
                switch column[row] {
                case .missing: missing += 1
                case let .int64(value): numbers.append(Double(value))
                case let .double(value): numbers.append(value)
                case let value: distinct.insert(value.description)
                }
            }
            func format(_ x: Double) -> String { String(format: "%.6g", x) }
            let numeric = column.type == .int64 || column.type == .double
            let stats = numeric && !numbers.isEmpty
                ? [format(numbers.min()!), format(numbers.max()!), format(numbers.reduce(0, +) / Double(numbers.count)), ""]
                : ["", "", "", numeric ? "" : String(distinct.count)]
            lines.append(([name.contains(",") ? "\"\(name)\"" : name, column.type.rawValue, String(missing)] + stats).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
