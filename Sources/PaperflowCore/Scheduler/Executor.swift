import Foundation
import Logging
import Synchronization

/// How to execute a run.
public struct ExecutionOptions: Sendable {
    /// Most stages running at once (`-j N`).
    public var jobs: Int
    /// Finish independent branches after a failure instead of stopping (`--keep-going`).
    public var keepGoing: Bool
    /// The `--set` arguments, for the run record.
    public var overrides: [String]
    /// A remote cache read before computing a stage and written after (`--remote`).
    public var remote: RemoteSession?
    /// The build running the stages, for run headers, action records and the lock.
    public var build: BuildIdentity
    /// The experiment this run is (`--name`, or any `--set` run): its views go under
    /// `Artifacts/<workflow>/experiments/<name>/`, its stages to an experiment lock beside the
    /// store, and it writes no export, no main view and not the committed lock.
    public var experiment: String?
    /// Stages to execute even when cached (`--force`); their bytes are compared with the cached
    /// result, and a difference is reported as nondeterminism.
    public var force: Set<String> = []
    /// Upload what ran to `remote` (`--remote-upload`; off by default: only CI, or whoever opts
    /// in, writes to a shared cache — Bazel's `--remote_upload_local_results`).
    public var remoteUpload: Bool
    /// Submit stages to Slurm (`executor: slurm`) instead of running them here.
    public var slurm: SlurmSettings?

    /// Creates options; `jobs` defaults to the number of cores.
    public init(jobs: Int = ProcessInfo.processInfo.activeProcessorCount, keepGoing: Bool = false, overrides: [String] = [],
                remote: RemoteSession? = nil, remoteUpload: Bool = false, build: BuildIdentity = .unknown) {
        self.remoteUpload = remoteUpload
        self.jobs = max(1, jobs)
        self.keepGoing = keepGoing
        self.overrides = overrides
        self.remote = remote
        self.build = build
    }
}

/// Runs a validated stage graph on Dispatch: a ready set ordered by the topological order, at
/// most `jobs` stages at once (never two memory-heavy ones), each stage keyed, looked up in the
/// action cache, and executed only on a miss.
///
/// Early cut-off falls out of the keys: a stage's key holds its inputs' content digests, so when
/// an upstream stage reruns and produces the same bytes, the downstream key is unchanged and hits.
/// Bookkeeping is linear: one run-record line per stage, one lock-file write per run.
public final class Executor: Sendable {
    let graph: StageGraph
    let registry: StageRegistry
    let store: ArtifactStore
    let projectRoot: URL
    let lockURL: URL?
    let options: ExecutionOptions
    let sink: any ExecutionEventSink
    let cancellation: CancellationFlag
    let logger: Logger
    let host = FileSystem.hostName
    private let finished = Mutex<[String: WorkflowLock.Entry]>([:])

    /// After `run()`: each stage that ran or was cached, with its key and outputs.
    public var entries: [String: WorkflowLock.Entry] { finished.withLock { $0 } }

    /// Creates an executor.
    /// - Parameters:
    ///   - lockURL: where to write the workflow's lock file at the end (`nil`: do not write one).
    public init(graph: StageGraph, registry: StageRegistry, store: ArtifactStore, projectRoot: URL, lockURL: URL?,
                options: ExecutionOptions, sink: any ExecutionEventSink, cancellation: CancellationFlag = CancellationFlag(),
                logger: Logger = Logger(label: "paperflow.executor")) {
        self.graph = graph
        self.registry = registry
        self.store = store
        self.projectRoot = projectRoot.standardizedFileURL
        self.lockURL = lockURL
        self.options = options
        self.sink = sink
        self.cancellation = cancellation
        self.logger = logger
    }

    /// What happened to one stage.
    enum Outcome: Sendable {
        case ran(outputs: [String: OutputRecord], key: Digest, ingredients: KeyIngredients, started: Double, finished: Double)
        /// `source` names the remote cache the outputs came from (`nil`: the local store).
        case cached(outputs: [String: OutputRecord], key: Digest, ingredients: KeyIngredients, source: String?)
        case failed(message: String, key: Digest?, ingredients: KeyIngredients?, started: Double?, finished: Double?)
        case cancelled
    }

    struct State: Sendable {
        var remainingDependencies: [Int]
        var ready = Heap<Int>()
        var deferredHeavy: [Int] = []
        var running = 0
        var heavyRunning = false
        var freeLanes: [Int]
        var outputs: [[String: OutputRecord]?]
        var finished: [Bool]
        var stopped = false
        var summary: RunSummary
        var lockEntries: [String: WorkflowLock.Entry] = [:]
        /// Each submitted stage's Slurm jobs.
        var jobs: [Int: SlurmJobs] = [:]
    }

    final class SharedErrors: Sendable {
        let value = Mutex<[any Error]>([])
    }

    /// The scheduler's state, shared by the worker lanes behind one mutex.
    final class SharedState: Sendable {
        let value: Mutex<State>
        init(_ state: State) { value = Mutex(state) }
    }

    /// Runs every stage that is not cached.
    /// - Returns: the summary (also sent as `runFinished`).
    /// - Throws: `StoreError` when the store itself cannot be written.
    public func run() throws -> RunSummary {
        let runID = ArtifactStore.newRunID()
        let started = Date().timeIntervalSince1970
        let recordURL = store.runsDirectory.appendingPathComponent("\(runID).jsonl")
        // The run's scratch folder exists for as long as it runs: if it is killed, the folder
        // tells the next run to look for half-written files in the store.
        try? FileSystem.makeDirectory(store.temporaryDirectory.appendingPathComponent(runID, isDirectory: true))
        let writer = try RunRecordWriter(url: recordURL, header: RunHeader(
            runID: runID, workflow: graph.workflowName, file: graph.file, started: started, host: host,
            jobs: options.jobs, overrides: options.overrides, paperflow: options.build, experiment: options.experiment,
            machine: .current))
        sink.handle(.runStarted(runID: runID, workflow: graph.workflowName, stageCount: graph.stages.count))

        let count = graph.stages.count
        var initial = State(remainingDependencies: graph.dependencies.map(\.count),
                            freeLanes: Array((0..<options.jobs).reversed()),
                            outputs: Array(repeating: nil, count: count), finished: Array(repeating: false, count: count),
                            summary: RunSummary(runID: runID, workflow: graph.workflowName, recordURL: recordURL))
        for i in 0..<count where initial.remainingDependencies[i] == 0 { initial.ready.insert(i) }
        let state = SharedState(initial)
        let lanes = (0..<options.jobs).map { DispatchQueue(label: "paperflow.worker.\($0)") }
        let slurm = options.slurm.map {
            SlurmSession(settings: $0, graph: graph, runID: runID, store: store, projectRoot: projectRoot, overrides: options.overrides)
        }
        let group = DispatchGroup()
        let failures = SharedErrors()

        @Sendable func pump() {
            let starts: [(Int, Int, [String: [StoredArtifact]])] = state.value.withLock { s in
                var starts: [(Int, Int, [String: [StoredArtifact]])] = []
                guard !s.stopped, !cancellation.isCancelled else { return starts }
                while s.running < options.jobs, let i = s.ready.popMin() {
                    let heavy = holdsMemoryHere(graph.stages[i])
                    if heavy && s.heavyRunning {
                        s.deferredHeavy.append(i)
                        continue
                    }
                    if heavy { s.heavyRunning = true }
                    s.running += 1
                    let lane = s.freeLanes.removeLast()
                    starts.append((i, lane, inputs(of: i, outputs: s.outputs)))
                }
                for heavy in s.deferredHeavy { s.ready.insert(heavy) }
                s.deferredHeavy.removeAll()
                return starts
            }
            for (i, lane, stageInputs) in starts {
                group.enter()
                lanes[lane].async {
                    let outcome = self.process(i, inputs: stageInputs, runID: runID, slurm: slurm, state: state)
                    slurm?.settle(self.graph.stages[i].name)
                    do {
                        try self.complete(i, outcome: outcome, lane: lane, state: state, writer: writer)
                    } catch {
                        failures.value.withLock { $0.append(error) }
                        state.value.withLock { $0.stopped = true }
                    }
                    pump()
                    group.leave()
                }
            }
        }
        pump()
        group.wait()
        // Ctrl-C: the run's jobs still queued or running are cancelled; none is left behind.
        if cancellation.isCancelled, let slurm {
            let cancelled = slurm.cancelAll()
            if !cancelled.isEmpty {
                sink.handle(.note(stage: "", message: "scancel'ed Slurm jobs \(cancelled.joined(separator: ", "))"))
            }
        }

        // Stages never started: skipped after a failure, cancelled after an interrupt — but a
        // stage that does not depend on a failure and whose result is in the local store is
        // reported as cached, not as skipped (fail-fast stops work, not bookkeeping).
        let leftovers: [Int] = state.value.withLock { s in (0..<count).filter { !s.finished[$0] } }
        let failed = state.value.withLock { s in Set(s.summary.failed.compactMap { graph.index[$0] }) }
        let tainted = failed.reduce(into: Set<Int>()) { $0.formUnion(graph.descendants(of: $1)) }
        var reported: Set<Int> = []
        if !cancellation.isCancelled {
            for i in leftovers where !tainted.contains(i) {
                guard let stageInputs: [String: [StoredArtifact]] = state.value.withLock({ s in
                    graph.dependencies[i].allSatisfy { s.outputs[$0] != nil } ? inputs(of: i, outputs: s.outputs) : nil
                }), case let .cached(outputs, key, ingredients, _) = process(i, inputs: stageInputs, runID: runID, cacheOnly: true)
                else { continue }
                let name = graph.stages[i].name
                try writer.append(StageRecord(stage: name, status: .cached, key: key, outputs: outputs, host: host))
                state.value.withLock { s in
                    s.finished[i] = true
                    s.outputs[i] = outputs
                    s.summary.cached.append(name)
                    s.lockEntries[name] = WorkflowLock.Entry(key: key, ingredients: ingredients, outputs: outputs, confidential: graph.stages[i].confidential)
                }
                reported.insert(i)
            }
        }
        for i in leftovers where !reported.contains(i) {
            let name = graph.stages[i].name
            let interrupted = cancellation.isCancelled
            let reason = interrupted ? "the run was interrupted" : "an upstream or earlier stage failed"
            try writer.append(StageRecord(stage: name, status: interrupted ? .cancelled : .skipped, host: host, message: reason))
            state.value.withLock { s in
                if interrupted { s.summary.cancelled.append(name) } else { s.summary.skipped.append(name) }
            }
            if !interrupted { sink.handle(.stageSkipped(stage: name, reason: reason)) }
        }
        if let error = failures.value.withLock({ $0.first }) { throw error }

        var (summary, entries) = state.value.withLock { ($0.summary, $0.lockEntries) }
        finished.withLock { $0 = entries }
        // Only a complete run of the workflow as written describes it: a run with `--set`
        // overrides, a failed or an interrupted run leaves the committed lock alone (its stages
        // are in its run record).
        if let lockURL, summary.succeeded, !cancellation.isCancelled, options.overrides.isEmpty, options.experiment == nil,
           entries.count == graph.stages.count {
            // The stamp (machine-local, in the store) lets an unchanged lock skip its encoding.
            let stamp = store.root.appendingPathComponent("lock-stamps", isDirectory: true)
                .appendingPathComponent(ContentHasher.digest(of: Data(lockURL.path.utf8)).hex)
            try WorkflowLock(workflow: graph.workflowName, stages: entries, paperflow: options.build).write(to: lockURL, stamp: stamp)
        }
        if let name = options.experiment {
            // A `--set` on a stage's matrix makes one experiment whose members are that stage's expansions.
            let axes = Set(options.overrides.compactMap { text -> String? in
                guard let path = try? Override(parsing: text, index: 1).path, path.count >= 3, path[0] == "stages", path[2] == "matrix" else { return nil }
                return path[1]
            })
            let members = graph.stages.filter { axes.contains($0.baseName) && $0.name != $0.baseName }.map(\.name)
            try Experiment(name: name, workflow: graph.workflowName, file: graph.file, overrides: options.overrides, runID: runID,
                           started: started, succeeded: summary.succeeded, members: members)
                .write(stages: WorkflowLock(workflow: graph.workflowName, stages: entries, paperflow: options.build), in: store)
        }
        summary.seconds = Date().timeIntervalSince1970 - started
        try writer.finish(RunFooter(finished: Date().timeIntervalSince1970, succeeded: summary.succeeded, counts: [
            "ran": summary.ran.count, "cached": summary.cached.count, "failed": summary.failed.count,
            "skipped": summary.skipped.count, "cancelled": summary.cancelled.count,
        ]))
        try store.memo.save()
        FileSystem.removeTree(store.temporaryDirectory.appendingPathComponent(runID).path)
        sink.handle(.runFinished(summary))
        return summary
    }

    /// A memory-heavy stage running on this machine: two such never run together. Under the
    /// Slurm executor a submitted stage's job has its own memory.
    private func holdsMemoryHere(_ stage: ResolvedStage) -> Bool {
        stage.cost == .memoryHeavy && !(options.slurm != nil && SlurmSession.submits(stage))
    }

    private func inputs(of i: Int, outputs: [[String: OutputRecord]?]) -> [String: [StoredArtifact]] {
        var result: [String: [StoredArtifact]] = [:]
        for (port, references) in graph.stages[i].inputs {
            result[port] = references.map { reference in
                let record = outputs[graph.index[reference.stage]!]![reference.output]!
                return StoredArtifact(digest: record.digest, size: record.size, url: store.blobURL(record.digest))
            }
        }
        return result
    }

    private func complete(_ i: Int, outcome: Outcome, lane: Int, state: SharedState, writer: RunRecordWriter) throws {
        let stage = graph.stages[i]
        var record = StageRecord(stage: stage.name, status: .cancelled, host: host)
        switch outcome {
        case let .ran(outputs, key, ingredients, started, finished):
            record = StageRecord(stage: stage.name, status: .ran, key: key, ingredients: ingredients, outputs: outputs,
                                 started: started, finished: finished, host: host)
        case let .cached(outputs, key, _, source):
            // The ingredients of a cached key are in the record of the run that executed it.
            record = StageRecord(stage: stage.name, status: .cached, key: key, outputs: outputs, host: host,
                                 message: source.map { "fetched from \($0)" })
        case let .failed(message, key, ingredients, started, finished):
            record = StageRecord(stage: stage.name, status: .failed, key: key, ingredients: ingredients,
                                 started: started, finished: finished, host: host, message: message)
        case .cancelled:
            record = StageRecord(stage: stage.name, status: .cancelled, host: host, message: "the run was interrupted")
        }
        record.slurm = state.value.withLock { $0.jobs[i] }
        try writer.append(record)
        if case let .failed(message, _, _, _, _) = outcome { sink.handle(.stageFailed(stage: stage.name, message: message)) }
        state.value.withLock { s in
            s.running -= 1
            s.freeLanes.append(lane)
            if holdsMemoryHere(stage) { s.heavyRunning = false }
            s.finished[i] = true
            switch outcome {
            case let .ran(outputs, key, ingredients, _, _), let .cached(outputs, key, ingredients, _):
                s.outputs[i] = outputs
                s.lockEntries[stage.name] = WorkflowLock.Entry(key: key, ingredients: ingredients, outputs: outputs,
                                                               confidential: stage.confidential)
                if case .ran = outcome { s.summary.ran.append(stage.name) } else { s.summary.cached.append(stage.name) }
                for dependent in graph.dependents[i] {
                    s.remainingDependencies[dependent] -= 1
                    if s.remainingDependencies[dependent] == 0 { s.ready.insert(dependent) }
                }
            case .failed:
                s.summary.failed.append(stage.name)
                if options.keepGoing {
                    for descendant in graph.descendants(of: i).sorted() where descendant != i && !s.finished[descendant] {
                        s.finished[descendant] = true
                        s.summary.skipped.append(graph.stages[descendant].name)
                        try? writer.append(StageRecord(stage: graph.stages[descendant].name, status: .skipped, host: host,
                                                       message: "upstream stage '\(stage.name)' failed"))
                        sink.handle(.stageSkipped(stage: graph.stages[descendant].name, reason: "upstream stage '\(stage.name)' failed"))
                    }
                } else {
                    s.stopped = true
                }
            case .cancelled:
                s.summary.cancelled.append(stage.name)
            }
        }
    }

    // MARK: One stage

    /// - Parameter cacheOnly: look the stage up in the local store only; anything but a hit
    ///   comes back as `.cancelled` (nothing runs, nothing is fetched).
    private func process(_ i: Int, inputs: [String: [StoredArtifact]], runID: String, cacheOnly: Bool = false,
                         slurm: SlurmSession? = nil, state: SharedState? = nil) -> Outcome {
        let stage = graph.stages[i]
        if cancellation.isCancelled || (cacheOnly && options.force.contains(stage.name)) { return .cancelled }
        var files: [String: Digest] = [:]
        for path in stage.fileDependencies {
            do {
                guard let digest = try dependencyDigest(path) else {
                    return fail(stage, "input file '\(path)' does not exist (declared at \(stage.location)); create it or fix the path")
                }
                files[path] = digest
            } catch {
                return fail(stage, "cannot read input file '\(path)': \(error)")
            }
        }
        let ingredients = Planner.ingredients(of: stage, inputs: inputs.mapValues { $0.map(\.digest) }, files: files)
        let key = ingredients.key

        let forced = options.force.contains(stage.name)
        let previous = forced ? store.action(for: key) : nil
        if !forced, let action = store.action(for: key) {
            var intact = action.outputs.count == stage.outputs.count
            for (port, output) in action.outputs where intact {
                switch store.check(output.digest) {
                case .present: break
                case .missing:
                    intact = false
                case let .corrupt(found):
                    intact = false
                    sink.handle(.warning(stage: stage.name, message:
                        "output '\(port)' in the store was corrupt (\(output.digest.short) now hashes to \(found.short)); removed it, recomputing"))
                }
            }
            if intact {
                do {
                    try publish(stage, outputs: action.outputs)
                } catch {
                    return .failed(message: "cannot update outputs: \(error)", key: key, ingredients: ingredients, started: nil, finished: nil)
                }
                sink.handle(.stageCached(stage: stage.name, key: key))
                return .cached(outputs: action.outputs, key: key, ingredients: ingredients, source: nil)
            }
            store.forgetAction(key)
        }
        if cacheOnly { return .cancelled }
        let warn: (String) -> Void = { [sink] in sink.handle(.warning(stage: stage.name, message: $0)) }
        if !forced, let remote = options.remote, let action = remote.fetch(key, into: store, warn: warn),
           Set(action.outputs.keys) == Set(stage.outputs.map(\.port)) {
            do {
                try publish(stage, outputs: action.outputs)
            } catch {
                return .failed(message: "cannot update outputs: \(error)", key: key, ingredients: ingredients, started: nil, finished: nil)
            }
            sink.handle(.stageCached(stage: stage.name, key: key))
            return .cached(outputs: action.outputs, key: key, ingredients: ingredients, source: remote.remote.location)
        }
        // An interrupt during a remote lookup: stop here rather than start the stage.
        if cancellation.isCancelled { return .cancelled }

        guard registry.descriptor(for: stage.pluginID) != nil else {
            return fail(stage, "plugin '\(stage.pluginID)' is not registered", key: key, ingredients: ingredients)
        }
        sink.handle(.stageStarted(stage: stage.name, plugin: stage.pluginReference, key: key))
        let started = Date().timeIntervalSince1970
        let scratch: URL
        do {
            scratch = try store.makeScratchDirectory(runID: runID, stage: stage.name)
        } catch {
            return fail(stage, "cannot create scratch space: \(error)", key: key, ingredients: ingredients)
        }
        let name = stage.name
        let sink = self.sink
        let outputs: [String: OutputRecord]
        if let slurm, SlurmSession.submits(stage) {
            let result = slurm.execute(stage, key: key, inputs: inputs, files: files, scratch: scratch, cancellation: cancellation)
            switch result {
            case let .succeeded(reply, jobs):
                state?.value.withLock { $0.jobs[i] = jobs }
                for note in reply.notes {
                    sink.handle(note.warning ? .warning(stage: name, message: note.message) : .note(stage: name, message: note.message))
                }
                keepLog(of: stage, scratch: scratch)
                outputs = reply.outputs ?? [:]
            case let .failed(message, jobs):
                state?.value.withLock { $0.jobs[i] = jobs }
                keepLog(of: stage, scratch: scratch)
                return .failed(message: message, key: key, ingredients: ingredients, started: started, finished: Date().timeIntervalSince1970)
            case let .cancelled(jobs):
                state?.value.withLock { $0.jobs[i] = jobs }
                return .cancelled
            }
        } else {
            var execution = StageExecution(stage: stage, registry: registry, store: store, projectRoot: projectRoot, inputs: inputs,
                                           files: files, scratch: scratch, cancellation: cancellation)
            execution.progress = { sink.handle(.stageProgress(stage: name, fraction: $0)) }
            execution.report = { severity, message in
                sink.handle(severity == .note ? .note(stage: name, message: message) : .warning(stage: name, message: message))
            }
            do {
                outputs = try execution.run()
            } catch is StageExecution.Cancelled {
                keepLog(of: stage, scratch: scratch)
                return .cancelled
            } catch {
                keepLog(of: stage, scratch: scratch)
                return .failed(message: "\(error)", key: key, ingredients: ingredients, started: started,
                               finished: Date().timeIntervalSince1970)
            }
            keepLog(of: stage, scratch: scratch)
        }

        do {
            let finished = Date().timeIntervalSince1970
            let action = ActionRecord(key: key, stage: stage.name, workflow: graph.workflowName, outputs: outputs,
                                      runID: runID, seconds: finished - started, build: options.build)
            if let previous {
                // --force: the same key ran before; the same bytes again, or nondeterminism.
                let before = previous.outputs.mapValues(\.digest), after = outputs.mapValues(\.digest)
                if before == after {
                    sink.handle(.note(stage: stage.name, message: "forced rerun: same bytes as the cached result"))
                } else {
                    let ports = after.keys.sorted().filter { before[$0] != after[$0] }
                    sink.handle(.warning(stage: stage.name, message: "forced rerun: not reproducible — "
                        + ports.map { "output '\($0)' was \(before[$0]?.short ?? "absent"), now \(after[$0]!.short)" }.joined(separator: "; ")
                        + "; the stage gives different bytes for the same inputs (a seed, a clock, an unordered map?)"))
                }
            }
            try store.record(action)
            try publish(stage, outputs: outputs)
            if options.remoteUpload, !stage.confidential { options.remote?.upload(action, from: store, warn: warn) }
            FileSystem.removeTree(scratch.path)
            sink.handle(.stageFinished(stage: stage.name, seconds: finished - started))
            return .ran(outputs: outputs, key: key, ingredients: ingredients, started: started, finished: finished)
        } catch {
            return .failed(message: "\(error)", key: key, ingredients: ingredients, started: started,
                           finished: Date().timeIntervalSince1970)
        }
    }

    private func fail(_ stage: ResolvedStage, _ message: String, key: Digest? = nil, ingredients: KeyIngredients? = nil) -> Outcome {
        .failed(message: message, key: key, ingredients: ingredients, started: nil, finished: nil)
    }

    /// Updates the human-facing views and the files the stage materialises (exports).
    private func publish(_ stage: ResolvedStage, outputs: [String: OutputRecord]) throws {
        for output in stage.outputs {
            guard let record = outputs[output.port] else { continue }
            let artifact = StoredArtifact(digest: record.digest, size: record.size, url: store.blobURL(record.digest))
            try store.updateView(workflow: viewFolder, stage: stage.name, fileName: output.fileName, artifact: artifact)
        }
        // An experiment leaves the project's files as they are.
        for materialization in stage.materializations where options.experiment == nil {
            guard let record = outputs[materialization.output] else { continue }
            let artifact = StoredArtifact(digest: record.digest, size: record.size, url: store.blobURL(record.digest))
            try store.export(artifact, to: materialization.path, projectRoot: projectRoot, protected: protectedFiles)
        }
    }

    private func dependencyDigest(_ path: String) throws -> Digest? {
        try store.inputDigest(ofPath: projectRoot.appendingPathComponent(path).path)
    }

    /// `Artifacts/<this folder>/<stage>/…` holds the views: the workflow's, or an experiment's.
    private var viewFolder: String {
        options.experiment.map { "\(graph.workflowName)/experiments/\(ArtifactStore.safeFileName($0))" } ?? graph.workflowName
    }

    /// Project files no export may overwrite: this workflow's file and lock.
    private var protectedFiles: Set<String> {
        var paths: Set<String> = [graph.file]
        if let lockURL, lockURL.path.hasPrefix(projectRoot.path + "/") { paths.insert(String(lockURL.path.dropFirst(projectRoot.path.count + 1))) }
        return paths
    }

    private func keepLog(of stage: ResolvedStage, scratch: URL) {
        let log = scratch.appendingPathComponent("stage.log")
        guard let identity = FileSystem.identity(ofFileAt: log.path), identity.size > 0 else { return }
        let destination = store.root.appendingPathComponent(viewFolder, isDirectory: true)
            .appendingPathComponent("\(ArtifactStore.safeFileName(stage.name)).log")
        try? FileSystem.makeDirectory(destination.deletingLastPathComponent())
        _ = rename(log.path, destination.path)
    }
}
