import Foundation

/// One job's state as `squeue` (or `sacct`) reports it.
public struct SlurmJobStatus: Sendable, Hashable {
    /// `123`, or `123_4` for an array task.
    public var id: String
    /// PENDING, RUNNING, COMPLETED, FAILED, OUT_OF_MEMORY, TIMEOUT …
    public var state: String
    /// The node it ran on.
    public var node: String?
    /// Run time as Slurm prints it (`1:02`, `1-02:03:04`).
    public var elapsed: String?
    /// The memory it was given (`%m`: `1000M`), in megabytes.
    public var memoryMegabytes: Int?
    /// Its time limit, in seconds.
    public var timeLimitSeconds: Int?

    /// Ends that more resources or another try may cure: resubmitted while retries remain.
    public static let curableStates: Set<String> = ["OUT_OF_MEMORY", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL"]
    /// States after which a job does nothing more.
    public static let terminalStates: Set<String> = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
                                                     "PREEMPTED", "BOOT_FAIL", "DEADLINE", "SPECIAL_EXIT", "REVOKED", "UNKNOWN_ENDED"]
    /// Whether the job has ended.
    public var isTerminal: Bool { Self.terminalStates.contains(state) }
}

/// Slurm's command-line tools, each run as a child process (never through a shell) with a
/// deadline, so a stuck controller fails a query instead of hanging the run.
public struct SlurmClient: Sendable {
    /// A folder for the commands' output.
    public let scratch: URL
    /// Seconds a command may take.
    public var deadline: Double = 60

    /// Creates a client writing its commands' output under `scratch`.
    public init(scratch: URL) { self.scratch = scratch }

    /// An error from a Slurm command, with what it printed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The full path of a Slurm tool on the PATH.
    public static func locate(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `arguments` (the first a tool on the PATH); its standard output and error (merged, in order).
    @discardableResult
    func call(_ arguments: [String]) throws -> String {
        guard let tool = Self.locate(arguments[0]) else {
            throw Failure(description: "'\(arguments[0])' is not on the PATH")
        }
        let arguments = [tool] + arguments.dropFirst()
        try FileSystem.makeDirectory(scratch)
        let log = scratch.appendingPathComponent("call-\(UInt64.random(in: 0...UInt64.max)).out")
        defer { unlink(log.path) }
        // Not the run's cancellation: scancel must still run after Ctrl-C.
        let termination = try ChildProcess.run(arguments, directory: scratch, log: log, timeout: deadline,
                                               cancellation: CancellationFlag())
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        switch termination {
        case .exited(0): return output
        case let .exited(code):
            throw Failure(description: "'\(arguments.joined(separator: " "))' exited with \(code): \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        case let .timedOut(seconds):
            throw Failure(description: "'\(arguments[0])' did not answer within \(Int(seconds)) s (is slurmctld up? check 'sinfo')")
        case let .signalled(signal):
            throw Failure(description: "'\(arguments[0])' was killed by signal \(signal)")
        case .cancelled:
            throw Failure(description: "'\(arguments[0])' was cancelled")
        }
    }

    /// `sbatch --parsable ARGUMENTS SCRIPT`: the job id.
    public func submit(script: URL, arguments: [String]) throws -> String {
        let output = try call(["sbatch", "--parsable"] + arguments + [script.path])
        // --parsable prints `ID` or `ID;CLUSTER`; warnings may precede it.
        for line in output.split(separator: "\n").reversed() {
            let id = line.split(separator: ";").first.map(String.init) ?? ""
            if !id.isEmpty, id.allSatisfy(\.isNumber) { return id }
        }
        throw Failure(description: "sbatch printed no job id: \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    /// One `squeue` call for every job (array tasks one per line), finished ones included while
    /// slurmctld still holds them (MinJobAge).
    public func query(_ jobs: [String]) throws -> [String: SlurmJobStatus] {
        guard !jobs.isEmpty else { return [:] }
        let ids = Set(jobs.map { $0.split(separator: "_").first.map(String.init) ?? $0 }).sorted()
        let output = try call(["squeue", "--noheader", "--array", "--states=all", "--jobs=" + ids.joined(separator: ","),
                               "--format=%i|%T|%N|%M|%m|%l"])
        return Self.parseQueue(output)
    }

    /// Parses `squeue --format=%i|%T|%N|%M|%m|%l` or `sacct --parsable2
    /// --format=JobID,State,NodeList,Elapsed,ReqMem,Timelimit` lines (the same six fields); job
    /// steps (`123.batch`) and anything else are left out: the job's own line carries its state.
    static func parseQueue(_ output: String) -> [String: SlurmJobStatus] {
        var statuses: [String: SlurmJobStatus] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 6, let first = fields[0].first, first.isNumber, !fields[0].contains(".") else { continue }
            statuses[fields[0]] = SlurmJobStatus(
                // sacct may add a reason ("CANCELLED by 0").
                id: fields[0], state: fields[1].split(separator: " ").first.map(String.init) ?? fields[1],
                node: fields[2].isEmpty || fields[2] == "(null)" ? nil : fields[2],
                elapsed: fields[3].isEmpty ? nil : fields[3], memoryMegabytes: StageResources.megabytes(parsing: fields[4]),
                // A partition's INFINITE shows as UNLIMITED, or as 365 days once a job runs.
                timeLimitSeconds: StageResources.seconds(parsing: fields[5]).flatMap { $0 >= 365 * 86_400 ? nil : $0 })
        }
        return statuses
    }

    /// `sacct` for jobs slurmctld no longer holds (needs accounting storage; `nil` without it).
    public func accounting(_ jobs: [String]) -> [String: SlurmJobStatus]? {
        guard !jobs.isEmpty, let output = try? call(["sacct", "--noheader", "--parsable2", "--jobs=" + jobs.joined(separator: ","),
                                                     "--format=JobID,State,NodeList,Elapsed,ReqMem,Timelimit"]) else { return nil }
        return Self.parseQueue(output)
    }

    /// `scancel` the jobs.
    public func cancel(_ jobs: [String]) throws {
        guard !jobs.isEmpty else { return }
        try call(["scancel"] + jobs)
    }
}
