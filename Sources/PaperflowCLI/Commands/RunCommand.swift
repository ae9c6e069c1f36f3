import ArgumentParser
import Foundation
import PaperflowCore
import PaperflowStages
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension ExecutorKind: ExpressibleByArgument {}

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

    @Argument(help: ArgumentHelp(
        "Workflow files, or directories of workflows; then, for one workflow, the stages to run (with what they need).",
        valueName: "workflow|stage"))
    var arguments: [String]

    @Option(help: ArgumentHelp("Run this experiment: its outputs and views go under Artifacts/<workflow>/experiments/NAME/; the committed lock, exports and main views stay as they are. Any --set run is an experiment (named exp-DATE-TIME when not named).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("Run up to this stage: it and what it needs, nothing after it.", valueName: "stage"))
    var until: String?

    @Option(help: ArgumentHelp("Run this stage even if it is cached, then compare its bytes with the cached result (a difference is nondeterminism). Repeatable.", valueName: "stage"))
    var force: [String] = []

    @Flag(help: "Only say what would run and why (the same as 'paperflow plan').")
    var dryRun = false

    @Flag(help: "Print nothing but errors and the final summary line.")
    var quiet = false

    /// The workflow files and directories among the arguments.
    var workflows: [String] { arguments.filter(Self.isWorkflowArgument) }
    /// The stage names among them.
    var targets: [String] { arguments.filter { !Self.isWorkflowArgument($0) } + (until.map { [$0] } ?? []) }

    static func isWorkflowArgument(_ argument: String) -> Bool {
        var isDirectory: ObjCBool = false
        return argument.hasSuffix(".yaml") || argument.hasSuffix(".yml")
            || (FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

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

    @Option(help: ArgumentHelp(
        "Where stages run: local (this machine, the default) or slurm (each stage a Slurm job running 'paperflow exec-stage'; see README, On a cluster). Overrides the workflow's 'executor:'.",
        valueName: "local|slurm"))
    var executor: ExecutorKind?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("-j must be at least 1") }
        if workflows.isEmpty { throw ValidationError("name a workflow file (Workflows/NAME.yaml) or a directory of workflows") }
        if !targets.isEmpty, workflows.count != 1 || !(workflows[0].hasSuffix(".yaml") || workflows[0].hasSuffix(".yml")) {
            throw ValidationError("stages to run (\(targets.joined(separator: ", "))) go with one workflow file: paperflow run Workflows/NAME.yaml STAGE")
        }
        if let name, name.isEmpty || name.contains(where: { !($0.isLetter || $0.isNumber || "-_.".contains($0)) }) || name.hasPrefix(".") {
            throw ValidationError("--name '\(name)': use letters, digits, '-', '_' and '.', e.g. --name probit-vs-logit")
        }
    }

    /// The experiment this run is: `--name`, or an automatic name for a run with overrides.
    func experimentName() -> String? {
        if let name { return name }
        guard !options.overrides.isEmpty else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "exp-" + formatter.string(from: Date())
    }

    func run() throws {
        let console = Console.shared
        let processStarted = Date().timeIntervalSince1970
        let paths = try WorkflowSession.workflowPaths(workflows)
        let remoteURL = remote ?? ProcessInfo.processInfo.environment["PAPERFLOW_REMOTE"].flatMap { $0.isEmpty ? nil : $0 }
        // Nothing to do, as a stamp of the last such run shows by stat: replay it (RunStamp).
        let stampable = stampable(remote: remoteURL)
        var heldLock: StoreLock?
        if stampable, FileSystem.isDirectory(options.storeRoot.appendingPathComponent("stamps").path) {
            let lock = try options.lockStore(command: CommandLine.arguments.joined(separator: " "), wait: !noWait, console: console)
            if try replayStamps(paths, console: console) { withExtendedLifetime(lock) {}; return }
            heldLock = lock
        }
        var sessions = try paths.map {
            try WorkflowSession.open($0, options: options, console: console)
        }
        if dryRun {
            for session in sessions {
                let store = try session.openStore()
                console.out("\(session.graph.workflowName) (\(session.displayPath)):")
                for line in PlanCommand.render(try session.plan(store: store)) { console.out(line) }
            }
            return
        }
        // Stages named on the command line: those and what they need, nothing else.
        let partial = !targets.isEmpty
        if partial {
            let graph = sessions[0].graph
            var positions: [Int] = []
            for target in targets {
                // A stage, or every member of a matrix stage by its base name (`model` → model[1] …).
                let matched = graph.stages.indices.filter { graph.stages[$0].name == target || graph.stages[$0].baseName == target }
                guard !matched.isEmpty else {
                    console.err("error: workflow \(graph.workflowName) has no stage '\(target)'" + NameSuggestion.didYouMean(target, in: graph.index.keys))
                    throw ExitCode(1)
                }
                positions += matched
            }
            sessions[0].graph = graph.needed(for: positions)
        }
        for stage in force where !sessions.contains(where: { $0.graph.index[stage] != nil }) {
            console.err("error: --force \(stage): no workflow given has that stage")
            throw ExitCode(1)
        }
        let experiment = experimentName()
        let cancellation = CancellationFlag()
        let interrupts = Self.handleInterrupts(cancellation: cancellation, console: console)
        defer { for source in interrupts { source.cancel() } }
        // Remote records are used when the committed locks or the team's secret vouch for them
        // (the locks are read only when there is a remote: a no-op run does not decode them).
        let remoteSession = try remoteURL.map {
            RemoteSession(remote: try CacheCommand.remote($0, console: console, cancellation: cancellation),
                          trust: RemoteTrust(secret: ProcessInfo.processInfo.environment[RemoteTrust.secretVariable],
                                             locks: sessions.compactMap { try? WorkflowLock.read(from: $0.lockURL) }))
        }
        let upload = remoteUpload || ProcessInfo.processInfo.environment["PAPERFLOW_REMOTE_UPLOAD"] == "1"
        let lock = try heldLock ?? options.lockStore(command: CommandLine.arguments.joined(separator: " "), wait: !noWait, console: console)
        let store = try ArtifactStore(root: options.storeRoot)
        // Scratch left by a run that was killed: safe to remove now that we hold the lock.
        store.clearTemporaryFiles()


        var sink: any ExecutionEventSink
        if json {
            sink = JSONLinesReporter(console: console)
        } else if quiet {
            sink = PlainReporter(console: console, quiet: true)
        } else if console.stdoutIsTerminal {
            sink = TerminalReporter(console: console)
        } else {
            sink = PlainReporter(console: console)
        }
        let watch = WarningWatch(sink)
        if stampable { sink = watch }
        var failed = false
        for session in sessions {
            // This command's stamp is remade (or not) by the run below.
            if stampable { unlink(stampURL(for: session.displayPath).path) }
            let slurm = try slurmSettings(for: session, console: console)
            var execution = ExecutionOptions(jobs: jobs ?? (slurm != nil ? Self.slurmJobs : ProcessInfo.processInfo.activeProcessorCount),
                                             keepGoing: keepGoing, overrides: options.overrides, remote: remoteSession,
                                             remoteUpload: upload, build: PaperflowVersion.build)
            execution.experiment = experiment
            execution.force = Set(force)
            execution.slurm = slurm
            // A partial run describes part of the workflow: it writes no lock.
            let executor = Executor(graph: session.graph, registry: session.registry, store: store,
                                    projectRoot: session.projectRoot, lockURL: partial ? nil : session.lockURL,
                                    options: execution, sink: sink, cancellation: cancellation)
            let summary: RunSummary
            do {
                summary = try executor.run()
            } catch {
                console.err("error: the store could not be written: \(error)")
                throw ExitCode(1)
            }
            // The run's page: tables, figures and provenance (a failed run's too, to show where it
            // stopped); an experiment's in its own folder; a partial run leaves the page as it was.
            // A run that computed nothing leaves the page of the run that did (a no-op rerun spent a
            // fifth of its time rewriting an unchanged page).
            let reportURL = RunReport.url(store: store, workflow: session.graph.workflowName, experiment: experiment)
            let nothingNew = summary.ran.isEmpty && summary.failed.isEmpty && summary.cancelled.isEmpty && summary.skipped.isEmpty
            if !partial, nothingNew, FileSystem.identity(ofFileAt: reportURL.path) != nil {
                if !json, !quiet { console.out("report: \(reportURL.path) (unchanged)") }
            } else if !partial {
                do {
                    // An experiment's page ends with how it differs from the workflow as committed.
                    let comparison = experiment.flatMap {
                        try? DiffCommand.compare("lock", $0, workflow: session.graph.file, store: store, projectRoot: session.projectRoot).html
                    }
                    let url = try RunReport(graph: session.graph, record: try RunRecord(contentsOf: summary.recordURL), store: store,
                                            experiment: experiment, comparison: comparison).write()
                    if !json, !quiet { console.out("report: \(url.path)") }
                } catch {
                    console.err("warning: the report could not be written: \(error)")
                }
            }
            if stampable {
                stamp(session, summary: summary, executor: executor, store: store, reportURL: reportURL, warned: watch.warned,
                      processStarted: processStarted)
            }
            if let experiment, !json, !quiet {
                console.out("experiment '\(experiment)' recorded; compare it with 'paperflow diff lock \(experiment)', keep it with 'paperflow exp apply \(experiment)'")
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

    /// Stages in flight at once under the Slurm executor when `-j` is not given (each waits for
    /// its job on a thread of this process; the cluster's own limits decide what runs).
    static let slurmJobs = 32

    /// The Slurm executor's settings for `session`, when it runs under it (`--executor`, else the
    /// workflow's `executor:`); exits 1 when Slurm's tools are not on the PATH.
    func slurmSettings(for session: WorkflowSession, console: Console) throws -> SlurmSettings? {
        guard (executor ?? session.graph.executor ?? .local) == .slurm else { return nil }
        for tool in ["sbatch", "squeue", "scancel"] where SlurmClient.locate(tool) == nil {
            console.err("error: executor slurm: '\(tool)' is not on the PATH; run on a Slurm login node, or use --executor local")
            throw ExitCode(1)
        }
        // The nodes run this same executable, at the same path (the shared filesystem), unless
        // $PAPERFLOW_SLURM_COMMAND names the one they see.
        let command = ProcessInfo.processInfo.environment["PAPERFLOW_SLURM_COMMAND"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var settings = SlurmSettings(command: command, workflow: session.workflowURL, displayPath: session.displayPath)
        if let wait = ProcessInfo.processInfo.environment["PAPERFLOW_SLURM_REPLY_WAIT"].flatMap(Double.init) { settings.replyWait = wait }
        return settings
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
