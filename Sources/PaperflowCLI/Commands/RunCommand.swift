import ArgumentParser
import Foundation
import PaperflowCore
import PaperflowStages
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `paperflow run`: runs every stage whose key is not in the store.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run workflows: every stage whose key is not already in the store.",
        discussion: """
            A directory argument runs every .yaml workflow directly inside it. All workflows are
            validated before anything runs. Ctrl-C stops running stages cleanly: nothing half-written
            reaches the store, and the next run resumes from what finished.
            """
    )

    @Argument(help: ArgumentHelp("Workflow files, or directories of workflows.", valueName: "workflow"))
    var workflows: [String]

    @OptionGroup var options: ProjectOptions

    @Option(name: [.customShort("j"), .long], help: "Stages to run at once (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "After a failure, finish every stage that does not depend on it.")
    var keepGoing = false

    @Flag(help: "Print one JSON object per event instead of the human display.")
    var json = false

    @Flag(help: "Fail at once if another run holds the store, instead of waiting for it.")
    var noWait = false

    @Option(help: ArgumentHelp(
        "A remote cache to read before computing a stage and to upload to after (http://HOST:PORT/PATH or file:///PATH; default: $PAPERFLOW_REMOTE). If it cannot be reached the run computes locally.",
        valueName: "url"))
    var remote: String?

    @Flag(help: ArgumentHelp(
        "Upload what this run computes to the remote cache (default: $PAPERFLOW_REMOTE_UPLOAD=1; otherwise the remote is only read). Records are signed with $PAPERFLOW_REMOTE_SECRET when it is set."))
    var remoteUpload = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("-j must be at least 1") }
    }

    func run() throws {
        let console = Console.shared
        let sessions = try WorkflowSession.workflowPaths(workflows).map {
            try WorkflowSession.open($0, options: options, console: console)
        }
        let remoteURL = remote ?? ProcessInfo.processInfo.environment["PAPERFLOW_REMOTE"].flatMap { $0.isEmpty ? nil : $0 }
        // Remote records are used when the committed locks or the team's secret vouch for them.
        let trust = RemoteTrust(secret: ProcessInfo.processInfo.environment[RemoteTrust.secretVariable],
                                locks: sessions.compactMap { try? WorkflowLock.read(from: $0.lockURL) })
        let cancellation = CancellationFlag()
        let interrupts = Self.handleInterrupts(cancellation: cancellation, console: console)
        defer { for source in interrupts { source.cancel() } }
        let remoteSession = try remoteURL.map {
            RemoteSession(remote: try CacheCommand.remote($0, console: console, cancellation: cancellation), trust: trust)
        }
        let upload = remoteUpload || ProcessInfo.processInfo.environment["PAPERFLOW_REMOTE_UPLOAD"] == "1"
        let lock = try options.lockStore(command: CommandLine.arguments.joined(separator: " "), wait: !noWait, console: console)
        let store = try ArtifactStore(root: options.storeRoot)
        // Scratch left by a run that was killed: safe to remove now that we hold the lock.
        store.clearTemporaryFiles()


        let sink: any ExecutionEventSink
        if json {
            sink = JSONLinesReporter(console: console)
        } else if console.stdoutIsTerminal {
            sink = TerminalReporter(console: console)
        } else {
            sink = PlainReporter(console: console)
        }
        var failed = false
        for session in sessions {
            let executor = Executor(graph: session.graph, registry: session.registry, store: store,
                                    projectRoot: session.projectRoot, lockURL: session.lockURL,
                                    options: ExecutionOptions(jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                                              keepGoing: keepGoing, overrides: options.overrides, remote: remoteSession,
                                                              remoteUpload: upload, build: PaperflowVersion.build),
                                    sink: sink, cancellation: cancellation)
            let summary: RunSummary
            do {
                summary = try executor.run()
            } catch {
                console.err("error: the store could not be written: \(error)")
                throw ExitCode(1)
            }
            // The run's page: tables, figures and provenance (a failed run's too, to show where it stopped).
            do {
                let url = try RunReport(graph: session.graph, record: try RunRecord(contentsOf: summary.recordURL), store: store).write()
                if !json { console.out("report: \(url.path)") }
            } catch {
                console.err("warning: the report could not be written: \(error)")
            }
            if !json {
                for stage in summary.failed { console.err("stage '\(stage)' failed; see Artifacts/\(summary.workflow)/\(stage).log if it wrote one") }
            }
            if cancellation.isCancelled { break }
            if !summary.succeeded { failed = true; if !keepGoing { break } }
        }
        withExtendedLifetime(lock) {}
        if cancellation.isCancelled { throw ExitCode(128 + (Self.interruption.withLock { $0 } ?? SIGINT)) }
        if failed { throw ExitCode(1) }
    }

    /// The first signal that cancelled the run (its exit status is 128 + it: 130 for Ctrl-C,
    /// 143 for SIGTERM).
    static let interruption = Mutex<Int32?>(nil)

    /// Ctrl-C and SIGTERM cancel the run: no new stage starts, running commands get SIGTERM and,
    /// after `ChildProcess.killGrace` seconds, SIGKILL; a second Ctrl-C kills them at once.
    static func handleInterrupts(cancellation: CancellationFlag, console: Console) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let first = interruption.withLock { signal -> Bool in
                    defer { if signal == nil { signal = number } }
                    return signal == nil
                }
                if first {
                    console.err("\ninterrupted: stopping running stages (finished stages are kept); interrupt again to kill them now")
                    cancellation.cancel()
                    ChildProcess.signalAll(SIGTERM)
                } else {
                    console.err("\ninterrupted again: killing running stages")
                    ChildProcess.signalAll(SIGKILL)
                }
            }
            source.resume()
            return source
        }
    }
}
