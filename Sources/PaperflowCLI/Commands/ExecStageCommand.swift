import ArgumentParser
import Foundation
import PaperflowCore
import PaperflowStages
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `paperflow exec-stage REQUEST`: what a Slurm job runs on its node — one stage of a run,
/// under the key the submitting run computed, its outputs put in the shared store and its
/// answer written as a reply file. Not meant to be typed: `run --executor slurm` writes the
/// request and reads the reply.
struct ExecStageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec-stage",
        abstract: "Run one stage of a run on this machine (what a Slurm job of 'run --executor slurm' does).",
        discussion: """
            Reloads the request's workflow with its overrides, recomputes the stage's key from the
            request's inputs and refuses to run under any other (a node with another build or other
            project files), runs the stage, puts its outputs in the store and writes the reply. Exits
            0 when the stage succeeded, 1 when it failed, 130/143 when interrupted (scancel).
            """,
        shouldDisplay: false
    )

    @Argument(help: ArgumentHelp("The request file the submitting run wrote.", valueName: "request"))
    var request: String

    func run() throws {
        let console = Console.shared
        let started = Date().timeIntervalSince1970
        let request: StageRequest
        do {
            request = try StageRequest.read(from: URL(fileURLWithPath: self.request))
        } catch {
            console.err("error: cannot read the stage request \(self.request): \(error)")
            throw ExitCode(2)
        }
        let cancellation = CancellationFlag()
        let interrupts = RunCommand.handleInterrupts(cancellation: cancellation, console: console)
        defer { for source in interrupts { source.cancel() } }
        let notes = Mutex<[StageReply.Note]>([])
        func answer(outputs: [String: OutputRecord]?, key: Digest?, error: String?) throws {
            let reply = StageReply(key: key, outputs: outputs, error: error, notes: notes.withLock { $0 }, host: FileSystem.hostName,
                                   seconds: Date().timeIntervalSince1970 - started, maxRSS: StageReply.peakMemory())
            try reply.write(to: URL(fileURLWithPath: request.reply))
        }
        func refuse(_ message: String, key: Digest? = nil) throws -> Never {
            console.err("error: stage '\(request.stage)': \(message)")
            try answer(outputs: nil, key: key, error: message)
            throw ExitCode(1)
        }

        let projectRoot = URL(fileURLWithPath: request.projectRoot, isDirectory: true)
        let graph: StageGraph
        let registry: StageRegistry
        do {
            registry = try ProjectPlugins.registry(projectRoot: projectRoot)
            let overrides = try request.overrides.enumerated().map { try Override(parsing: $1, index: $0 + 1) }
            graph = try WorkflowValidator(registry: registry, projectRoot: projectRoot)
                .open(URL(fileURLWithPath: request.workflow), displayPath: request.displayPath, overrides: overrides)
        } catch let error as DiagnosticsError {
            try refuse("the workflow does not load on this node:\n" + error.diagnostics.map { $0.rendered(color: false) }.joined(separator: "\n"))
        }
        guard let stage = graph.stage(request.stage) else {
            try refuse("the workflow on this node has no stage '\(request.stage)'")
        }
        let key = Planner.ingredients(of: stage, inputs: request.inputs.mapValues { $0.map(\.digest) }, files: request.files).key
        guard key == request.key else {
            try refuse("this node computes key \(key.short), the run asked for \(request.key.short): its paperflow build or the workflow differs from the submitting machine's (the same executable and project must be visible to every node)", key: key)
        }
        let store = try ArtifactStore(root: URL(fileURLWithPath: request.store, isDirectory: true))
        var inputs: [String: [StoredArtifact]] = [:]
        for (port, records) in request.inputs {
            inputs[port] = try records.map { record in
                // An input blob must be here and whole before the stage reads it.
                guard case let .present(artifact) = store.check(record.digest, removeCorrupt: false) else {
                    try refuse("input '\(port)' (\(record.digest.short)) is not in the store at \(request.store) on this node", key: key)
                }
                return artifact
            }
        }
        var execution = StageExecution(stage: stage, registry: registry, store: store, projectRoot: projectRoot, inputs: inputs,
                                       files: request.files, scratch: URL(fileURLWithPath: request.scratch, isDirectory: true),
                                       cancellation: cancellation)
        execution.report = { severity, message in
            notes.withLock { $0.append(StageReply.Note(warning: severity != .note, message: message)) }
            console.err("\(severity == .note ? "note" : "warning"): \(message)")
        }
        do {
            let outputs = try execution.run()
            try answer(outputs: outputs, key: key, error: nil)
        } catch is StageExecution.Cancelled {
            try? answer(outputs: nil, key: key, error: "interrupted")
            throw ExitCode(128 + (RunCommand.interruption.withLock { $0 } ?? SIGTERM))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            try refuse("\(error)", key: key)
        }
    }
}
