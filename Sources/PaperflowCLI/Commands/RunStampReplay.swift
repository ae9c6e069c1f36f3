import Foundation
import PaperflowCore

/// The no-op fast path of `paperflow run` (see `RunStamp`): a plain run of workflows as written
/// whose stamps all hold is replayed — the same lines printed, a run record appended — without
/// loading the workflows or looking up a key. Any other run, or one whose stamp does not hold,
/// takes the full path, which removes the stamp and writes a new one if it finds nothing to do.
extension RunCommand {
    /// Whether this run may be answered from, and may leave, stamps: every workflow as written,
    /// no stage named, forced or fetched, the plain display (a terminal gets the full one).
    func stampable(remote: String?) -> Bool {
        !dryRun && targets.isEmpty && force.isEmpty && experimentName() == nil && remote == nil && !json
            && !Console.shared.stdoutIsTerminal
    }

    /// The stamp file of this command for the workflow at `path`.
    func stampURL(for path: String) -> URL {
        RunStamp.url(storeRoot: options.storeRoot, projectRoot: options.projectRoot.path, workflowPath: WorkflowSession.url(of: path).path,
                            arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment,
                            build: Self.buildKey)
    }

    /// The build as a stamp knows it: version, fingerprint, and the executable's own stat (a
    /// rebuilt binary, whatever its fingerprint says, looks for other stamps).
    static let buildKey: String = {
        let build = PaperflowVersion.build
        let executable = RunStamp.identity(of: "/proc/self/exe") ?? RunStamp.identity(of: CommandLine.arguments[0])
        return "\(build.version) \(build.fingerprint) \(executable.map { "\($0.device):\($0.inode):\($0.size):\($0.mtimeNanoseconds)" } ?? "?")"
    }()

    /// Replays the stamps of `paths` when every one holds; false, having printed nothing, when
    /// one is missing or does not hold.
    func replayStamps(_ paths: [String], console: Console) throws -> Bool {
        var stamps: [RunStamp] = []
        for path in paths {
            guard let stamp = RunStamp.read(from: stampURL(for: path)), stamp.holds else { return false }
            stamps.append(stamp)
        }
        let sink = PlainReporter(console: console, quiet: quiet)
        let runs = options.storeRoot.appendingPathComponent("runs", isDirectory: true)
        for stamp in stamps {
            let started = Date().timeIntervalSince1970
            let (runID, url) = try stamp.writeRecord(runsDirectory: runs, started: started,
                                                     jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, build: PaperflowVersion.build)
            sink.handle(.runStarted(runID: runID, workflow: stamp.workflow, stageCount: stamp.stages.count))
            for stage in stamp.stages { sink.handle(.stageCached(stage: stage.name, key: stage.key)) }
            var summary = RunSummary(runID: runID, workflow: stamp.workflow, recordURL: url)
            summary.cached = stamp.stages.map(\.name)
            summary.seconds = Date().timeIntervalSince1970 - started
            sink.handle(.runFinished(summary))
            if !quiet {
                let report = RunReport.url(storeRoot: options.storeRoot, workflow: stamp.workflow)
                console.out("report: \(report.path) (unchanged)")
            }
        }
        return true
    }

    /// After a full run of `session`: stamps it if the run found nothing to do (every stage
    /// cached, nothing warned, the report already there) and nothing it consulted changed within
    /// the racy window before `processStarted`.
    func stamp(_ session: WorkflowSession, summary: RunSummary, executor: Executor, store: ArtifactStore, reportURL: URL, warned: Bool,
               processStarted: Double) {
        let url = stampURL(for: session.displayPath)
        let finished = executor.entries
        guard summary.succeeded, summary.ran.isEmpty, summary.cached.count == session.graph.stages.count, !warned,
              session.graph.warnings.isEmpty, finished.count == session.graph.stages.count,
              FileSystem.identity(ofFileAt: reportURL.path) != nil, let lines = try? RunStamp.stageLines(ofRecordAt: summary.recordURL)
        else { return }
        let paths = RunStamp.consulted(graph: session.graph, entries: finished, store: store, projectRoot: session.projectRoot,
                                       workflowURL: session.workflowURL, lockURL: session.lockURL, reportURL: reportURL)
        guard let entries = RunStamp.entries(for: paths, runStarted: processStarted) else { return }
        let order = summary.cached.compactMap { name in finished[name].map { (name: name, key: $0.key) } }
        guard order.count == summary.cached.count else { return }
        try? RunStamp(workflow: session.graph.workflowName, file: session.graph.file, stages: order, recordLines: lines, entries: entries)
            .write(to: url)
    }
}

/// Passes events on and remembers whether any was a warning or a failure (a run that warned is
/// not stamped: its replay would not warn).
final class WarningWatch: ExecutionEventSink, Sendable {
    let sink: any ExecutionEventSink
    private let seen = Mutex(false)

    init(_ sink: any ExecutionEventSink) { self.sink = sink }

    var warned: Bool { seen.withLock { $0 } }

    func handle(_ event: ExecutionEvent) {
        switch event {
        case .warning, .stageFailed, .note: seen.withLock { $0 = true }
        default: break
        }
        sink.handle(event)
    }
}

import Synchronization
