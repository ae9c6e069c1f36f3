import Foundation

/// How a run reaches its Slurm cluster (`executor: slurm`).
public struct SlurmSettings: Sendable {
    /// The `paperflow` executable the jobs run, at a path the nodes see (the shared filesystem).
    public var command: String
    /// The workflow file, absolute (nodes reload it).
    public var workflow: URL
    /// The workflow as the user named it.
    public var displayPath: String
    /// Seconds to wait, after a job ends COMPLETED, for its reply to become visible (NFS
    /// attribute caching can hide a new file for a while).
    public var replyWait: Double = 60
    /// The longest pause between two `squeue` queries.
    public var maximumPollInterval: Double = 5
    /// Seconds the members of a `matrix:` stage are waited for, so they go as one job array.
    public var arrayWindow: Double = 2

    /// Creates settings.
    public init(command: String, workflow: URL, displayPath: String) {
        self.command = command
        self.workflow = workflow
        self.displayPath = displayPath
    }

    /// The plugins that run on the submitting machine by default under the Slurm executor:
    /// tables and figures take milliseconds, less than a job's scheduling cost of 1–3 s.
    public static let localPluginPrefixes = ["tables.", "figures."]
}

/// The Slurm side of a run: submits stages as jobs that run `paperflow exec-stage`, watches
/// them with one query per cycle, retries the failures more resources can cure, and decides
/// success by the job's state together with the stage's reply and the outputs' verified digests
/// — never by file timestamps.
final class SlurmSession: @unchecked Sendable {
    enum Result {
        case succeeded(StageReply, SlurmJobs)
        case failed(String, SlurmJobs)
        case cancelled(SlurmJobs)
    }

    let settings: SlurmSettings
    let graph: StageGraph
    let runID: String
    /// `Artifacts/tmp/<run>/slurm/`: requests, replies, batch scripts and job logs.
    let folder: URL
    let store: ArtifactStore
    let projectRoot: URL
    let overrides: [String]
    let client: SlurmClient
    let monitor: SlurmMonitor
    private let batches: ArrayBatches

    init(settings: SlurmSettings, graph: StageGraph, runID: String, store: ArtifactStore, projectRoot: URL, overrides: [String]) {
        self.settings = settings
        self.graph = graph
        self.runID = runID
        self.store = store
        self.projectRoot = projectRoot
        self.overrides = overrides
        folder = store.temporaryDirectory.appendingPathComponent(runID, isDirectory: true).appendingPathComponent("slurm", isDirectory: true)
        client = SlurmClient(scratch: folder.appendingPathComponent("calls", isDirectory: true))
        monitor = SlurmMonitor(client: client, maximumInterval: settings.maximumPollInterval)
        var members: [String: [String]] = [:]
        for stage in graph.stages where stage.name != stage.baseName && Self.submits(stage) {
            members[stage.baseName, default: []].append(stage.name)
        }
        batches = ArrayBatches(members: members.filter { $0.value.count > 1 }, window: settings.arrayWindow)
    }

    /// Whether `stage` goes to the cluster (not `local:`, and not a plugin that runs locally by default).
    static func submits(_ stage: ResolvedStage) -> Bool {
        if let local = stage.resources.local { return !local }
        return !SlurmSettings.localPluginPrefixes.contains { stage.pluginID.hasPrefix($0) }
    }

    /// A stage of the run that will not be submitted (cached, failed before, run locally): a
    /// job array need not wait for it.
    func settle(_ stage: String) { batches.settle(stage) }

    /// `scancel`s the run's jobs that have not ended and waits (bounded) until squeue shows none.
    func cancelAll() -> [String] {
        let active = monitor.active
        guard !active.isEmpty else { return [] }
        try? client.cancel(active)
        if !monitor.drain(within: 30) { try? client.cancel(monitor.active) }
        return active
    }

    /// Runs `stage` under `key` as Slurm jobs until it succeeds, fails for good, or the run is cancelled.
    func execute(_ stage: ResolvedStage, key: Digest, inputs: [String: [StoredArtifact]], files: [String: Digest],
                 scratch: URL, cancellation: CancellationFlag) -> Result {
        var jobs = SlurmJobs()
        let name = Self.safeName(stage.name)
        do { try FileSystem.makeDirectory(folder) } catch { return .failed("cannot create \(folder.path): \(error)", jobs) }
        let replyURL = folder.appendingPathComponent("\(name).reply.json")
        let request = StageRequest(runID: runID, projectRoot: projectRoot.path, workflow: settings.workflow.path,
                                   displayPath: settings.displayPath, overrides: overrides, stage: stage.name, key: key,
                                   inputs: inputs.mapValues { $0.map { OutputRecord(digest: $0.digest, size: $0.size, fileName: "") } },
                                   files: files, scratch: scratch.path, store: store.root.path, reply: replyURL.path)
        var resources = stage.resources
        let retries = resources.retries ?? StageResources.defaultRetries
        for attempt in 0...retries {
            unlink(replyURL.path)
            let job: String, log: URL
            do {
                if attempt == 0, let slot = batches.slot(for: stage) {
                    // A matrix member: its request at the array's task path, one sbatch for all.
                    do {
                        try request.write(to: slot.requestURL(in: folder))
                    } catch {
                        // Its siblings must not wait for it (its array task finds no request and ends at once).
                        batches.withdraw(slot)
                        throw error
                    }
                    log = slot.logURL(in: folder)
                    job = try batches.arrive(slot, cancellation: cancellation) { count in
                        try submit(name: slot.tag, resources: resources, array: count,
                                   command: "exec \(ShellQuoting.quote(settings.command)) exec-stage "
                                       + ShellQuoting.quote(folder.appendingPathComponent(slot.tag + "-").path) + "\"$SLURM_ARRAY_TASK_ID\"'.request.json'",
                                   log: folder.appendingPathComponent(slot.tag + "-%a.log"))
                    }
                } else {
                    let requestURL = folder.appendingPathComponent("\(name).request.json")
                    try request.write(to: requestURL)
                    log = folder.appendingPathComponent("\(name).\(attempt + 1).log")
                    job = try submit(name: name, resources: resources, array: nil,
                                     command: "exec \(ShellQuoting.quote(settings.command)) exec-stage \(ShellQuoting.quote(requestURL.path))",
                                     log: log)
                }
            } catch is CancellationError {
                return .cancelled(jobs)
            } catch {
                return .failed("could not submit to Slurm: \(error)", jobs)
            }
            monitor.watch(job)
            guard let status = monitor.wait(for: job, cancellation: cancellation) else { return .cancelled(jobs) }
            jobs.attempts.append(SlurmAttempt(job: job, state: status.state, node: status.node, elapsed: status.elapsed,
                                              memoryMegabytes: status.memoryMegabytes ?? resources.memoryMegabytes,
                                              timeSeconds: status.timeLimitSeconds ?? resources.timeSeconds))
            // The job's own output becomes the stage's log when the stage wrote none of its own
            // (the executor keeps it as Artifacts/<workflow>/<stage>.log).
            let stageLog = scratch.appendingPathComponent("stage.log")
            let final = attempt == retries || !SlurmJobStatus.curableStates.contains(status.state)
            if final, (FileSystem.identity(ofFileAt: stageLog.path)?.size ?? 0) == 0 {
                unlink(stageLog.path)
                try? FileManager.default.copyItem(at: log, to: stageLog)
            }
            let tail = { () -> String in
                let text = ChildProcess.tail(of: log, lines: 15).trimmingCharacters(in: .whitespacesAndNewlines)
                return text.isEmpty ? " (the job wrote no log at \(log.path))" : "; the end of its log (\(log.lastPathComponent)):\n" + text
            }
            switch status.state {
            case "COMPLETED", "UNKNOWN_ENDED":
                let patience = status.state == "COMPLETED" ? settings.replyWait : 2
                guard let reply = awaitReply(replyURL, patience: patience) else {
                    return .failed("Slurm job \(job) ended \(status.state == "COMPLETED" ? "COMPLETED" : "out of squeue's sight") but its reply \(replyURL.path) did not appear within \(Int(patience)) s" + tail(), jobs)
                }
                jobs.maxRSS = reply.maxRSS
                if let error = reply.error { return .failed("on \(reply.host) (Slurm job \(job)): \(error)", jobs) }
                if let problem = verify(reply, key: key, stage: stage) { return .failed("Slurm job \(job): \(problem)", jobs) }
                return .succeeded(reply, jobs)
            case "OUT_OF_MEMORY" where attempt < retries:
                resources.memoryMegabytes = (resources.memoryMegabytes ?? status.memoryMegabytes ?? 1000) * 2
            case "TIMEOUT" where attempt < retries:
                if let limit = resources.timeSeconds ?? status.timeLimitSeconds { resources.timeSeconds = limit * 2 }
            case "NODE_FAIL", "PREEMPTED", "BOOT_FAIL":
                if attempt < retries { continue }
                return .failed("Slurm job \(job) ended \(status.state) \(attempt + 1) times", jobs)
            case "CANCELLED" where cancellation.isCancelled:
                return .cancelled(jobs)
            default:
                let reply = try? StageReply.read(from: replyURL)
                jobs.maxRSS = reply?.maxRSS
                var message = "Slurm job \(job) ended \(status.state)" + (status.node.map { " on \($0)" } ?? "")
                switch status.state {
                case "OUT_OF_MEMORY":
                    message += " at mem \(resources.memoryMegabytes ?? status.memoryMegabytes ?? 0)M after \(attempt + 1) attempts; raise 'resources: {mem: …}' of stage '\(stage.baseName)'"
                case "TIMEOUT":
                    message += " after \(attempt + 1) attempts; raise 'resources: {time: …}' of stage '\(stage.baseName)'"
                case "CANCELLED":
                    message += " (cancelled outside this run: scancel, or an administrator)"
                default: break
                }
                if let error = reply?.error { message += ": \(error)" }
                return .failed(message + tail(), jobs)
            }
        }
        return .failed("no attempt left", jobs)
    }

    /// `sbatch` a script running `command`.
    private func submit(name: String, resources: StageResources, array: Int?, command: String, log: URL) throws -> String {
        let script = folder.appendingPathComponent("\(name).\(UInt32.random(in: 0...UInt32.max)).sh")
        let text = "#!/bin/sh\n# paperflow run \(runID): \(name)\n\(command)\n"
        try FileSystem.writeAtomically(Data(text.utf8), to: script, permissions: 0o755)
        var arguments = ["--job-name=pf-\(runID)-\(name)", "--output=\(log.path)", "--chdir=\(projectRoot.path)", "--export=ALL"]
        if let cpus = resources.cpus { arguments.append("--cpus-per-task=\(cpus)") }
        if let memory = resources.memoryMegabytes { arguments.append("--mem=\(memory)M") }
        if let time = resources.timeSeconds { arguments.append("--time=\(StageResources.slurmTime(time))") }
        if let partition = resources.partition { arguments.append("--partition=\(partition)") }
        if let account = resources.account { arguments.append("--account=\(account)") }
        if let qos = resources.qos { arguments.append("--qos=\(qos)") }
        arguments += resources.sbatchArguments
        if let array { arguments.append("--array=0-\(array - 1)") }
        return try client.submit(script: script, arguments: arguments)
    }

    /// The reply, once it is visible (listing the folder refreshes an NFS client's view of it).
    private func awaitReply(_ url: URL, patience: Double) -> StageReply? {
        let deadline = Date().addingTimeInterval(patience)
        while true {
            _ = try? FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            if let reply = try? StageReply.read(from: url) { return reply }
            if Date() >= deadline { return nil }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// What is wrong with a successful reply: another key, other ports, a blob missing or not
    /// hashing to its digest.
    private func verify(_ reply: StageReply, key: Digest, stage: ResolvedStage) -> String? {
        guard reply.key == key else {
            return "the node ran under key \(reply.key?.short ?? "none"), not \(key.short); its outputs were not used"
        }
        guard let outputs = reply.outputs, Set(outputs.keys) == Set(stage.outputs.map(\.port)) else {
            return "the reply names outputs \((reply.outputs?.keys.sorted() ?? []).joined(separator: ", ")), not \(stage.outputs.map(\.port).joined(separator: ", "))"
        }
        for (port, output) in outputs.sorted(by: { $0.key < $1.key }) {
            switch store.check(output.digest) {
            case .present: continue
            case .missing: return "output '\(port)' (\(output.digest.short)) is not in the store"
            case let .corrupt(found): return "output '\(port)' in the store hashes to \(found.short), not \(output.digest.short); removed it"
            }
        }
        return nil
    }

    /// A stage name as a file and job name: letters, digits, '-', '_' and '.' (matrix brackets become '_').
    static func safeName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
    }
}

/// The members of matrix stages gathered into job arrays: the first member to arrive waits
/// (up to a window) for its siblings — those that will not be submitted settle instead — then
/// submits them with one `sbatch --array`.
///
/// Unchecked Sendable: the fields are read and written under `condition`.
final class ArrayBatches: @unchecked Sendable {
    /// A member's place in a batch: the batch's tag and the member's task id.
    struct Slot {
        var base: String
        var tag: String
        var index: Int
        func requestURL(in folder: URL) -> URL { folder.appendingPathComponent("\(tag)-\(index).request.json") }
        func logURL(in folder: URL) -> URL { folder.appendingPathComponent("\(tag)-\(index).log") }
    }

    private struct Batch {
        var tag: String
        var slots = 0
        var arrived = 0
        var opened = Date()
        var job: String?
        var error: String?
    }

    private let condition = NSCondition()
    private let members: [String: [String]]
    private let window: Double
    private var settled: Set<String> = []
    private var open: [String: Batch] = [:]
    private var closed: [String: Batch] = [:]
    private var count = 0

    init(members: [String: [String]], window: Double) {
        self.members = members
        self.window = window
    }

    func settle(_ stage: String) {
        condition.lock()
        settled.insert(stage)
        condition.broadcast()
        condition.unlock()
    }

    /// A slot in the open batch of `stage`'s matrix; `nil` when it is no matrix member.
    func slot(for stage: ResolvedStage) -> Slot? {
        guard members[stage.baseName] != nil else { return nil }
        condition.lock()
        defer { condition.unlock() }
        settled.insert(stage.name)
        if open[stage.baseName] == nil {
            count += 1
            open[stage.baseName] = Batch(tag: SlurmSession.safeName(stage.baseName) + ".array\(count)")
        }
        let index = open[stage.baseName]!.slots
        open[stage.baseName]!.slots += 1
        return Slot(base: stage.baseName, tag: open[stage.baseName]!.tag, index: index)
    }

    /// A member that took a slot and will not arrive: counted as arrived, so the batch does not wait for it.
    func withdraw(_ slot: Slot) {
        condition.lock()
        if open[slot.base]?.tag == slot.tag { open[slot.base]!.arrived += 1 }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the slot's batch is submitted (submitting it when this member is the one that
    /// completes it or its window ends first); the task's job id, `ID_INDEX`.
    func arrive(_ slot: Slot, cancellation: CancellationFlag, submit: (Int) throws -> String) throws -> String {
        condition.lock()
        defer { condition.unlock() }
        if open[slot.base]?.tag == slot.tag { open[slot.base]!.arrived += 1 }
        condition.broadcast()
        while true {
            if cancellation.isCancelled { throw CancellationError() }
            if let done = closed[slot.tag] {
                if let job = done.job { return "\(job)_\(slot.index)" }
                throw SlurmClient.Failure(description: done.error ?? "the job array was not submitted")
            }
            guard let current = open[slot.base], current.tag == slot.tag else {
                // Another member is submitting the batch.
                _ = condition.wait(until: Date().addingTimeInterval(0.05))
                continue
            }
            let everyone = members[slot.base]!.allSatisfy(settled.contains) && current.arrived == current.slots
            if everyone || Date().timeIntervalSince(current.opened) >= window, current.arrived == current.slots {
                // This member submits for all: the batch closes (later members open a new one).
                open[slot.base] = nil
                var finished = current
                condition.unlock()
                do { finished.job = try submit(current.slots) } catch { finished.error = "\(error)" }
                condition.lock()
                closed[slot.tag] = finished
                condition.broadcast()
                continue
            }
            _ = condition.wait(until: Date().addingTimeInterval(0.05))
        }
    }
}
