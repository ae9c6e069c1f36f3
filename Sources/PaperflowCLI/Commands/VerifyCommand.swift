import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow verify`: the data editor's rerun in one command.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Rerun a replication package's workflows on an empty store and compare every output with its lock.",
        discussion: """
            For each workflow under the package's Workflows/ that has a lock file beside it, runs every stage in a \
            store made for the purpose (removed afterwards), then compares each stage's outputs with \
            the SHA-256 the lock records. Prints the differences and exits 1 when any output differs \
            or a stage fails. A stage key may differ from the lock's when this Paperflow is another \
            build; the outputs must not.
            """
    )

    @Argument(help: ArgumentHelp("The package folder (default: the current folder).", valueName: "folder"))
    var folder: String = "."

    @Option(name: [.customShort("j"), .long], help: "Stages to run at once (default: the number of cores).")
    var jobs: Int?

    func run() throws {
        let console = Console.shared
        let root = WorkflowSession.url(of: folder)
        let options = try ProjectOptions.parse(["--project", root.path])
        let paths = try PublishedWorkflow.packagedWorkflows(in: root)
        guard !paths.isEmpty else {
            console.err("error: \(root.path) has no Workflows/*.yaml with a lock file: is it a replication package?")
            throw ExitCode.failure
        }
        let scratch = root.appendingPathComponent(".paperflow-verify-\(getpid())", isDirectory: true)
        _ = FileSystem.removeTree(scratch.path)
        defer { _ = FileSystem.removeTree(scratch.path) }
        let store = try ArtifactStore(root: scratch)
        let cancellation = CancellationFlag()
        let interrupts = RunCommand.handleInterrupts(cancellation: cancellation, console: console)
        defer { for source in interrupts { source.cancel() } }
        var problems = 0, compared = 0
        for path in paths {
            let session = try WorkflowSession.open(path, options: options, console: console)
            guard let lock = try WorkflowLock.read(from: session.lockURL) else { continue }
            console.out("\(session.graph.workflowName): running \(session.graph.stages.count) stages on an empty store")
            let executor = Executor(graph: session.graph, registry: session.registry, store: store, projectRoot: root, lockURL: nil,
                                    options: ExecutionOptions(jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, keepGoing: true,
                                                              build: PaperflowVersion.build),
                                    sink: PlainReporter(console: console, quiet: true), cancellation: cancellation)
            let summary = try executor.run()
            if cancellation.isCancelled { throw ExitCode(130) }
            let made = executor.entries
            for stage in session.graph.stages {
                guard let expected = lock.stages[stage.name] else {
                    console.out("  \(stage.name): not in the lock"); problems += 1; continue
                }
                guard let entry = made[stage.name] else {
                    console.out("  \(stage.name): did not run (\(summary.failed.contains(stage.name) ? "failed" : "skipped"))"); problems += 1; continue
                }
                for port in expected.outputs.keys.sorted() {
                    compared += 1
                    let want = expected.outputs[port]!.digest, got = entry.outputs[port]?.digest
                    if got != want {
                        problems += 1
                        console.out("  \(stage.name).\(port): \(got.map(\.description) ?? "missing"), the lock has \(want)")
                    }
                }
            }
        }
        if problems > 0 {
            console.err("verify: \(problems) of \(compared) outputs differ from the lock files (or their stages did not run)")
            throw ExitCode.failure
        }
        console.out("verify: all \(compared) outputs of \(paths.count) workflow\(paths.count == 1 ? "" : "s") equal their lock files")
    }
}
