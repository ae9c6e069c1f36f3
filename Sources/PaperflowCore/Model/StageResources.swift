/// Where a workflow's stages run: on this machine (the Dispatch scheduler) or as Slurm jobs.
public enum ExecutorKind: String, Sendable, Hashable, CaseIterable {
    case local
    case slurm
}

/// `resources:` of a stage, or a workflow's defaults for every stage: what a cluster job asks
/// for. Never part of a stage's key — the same stage given more memory computes the same bytes.
public struct StageResources: Sendable, Hashable {
    /// `cpus:` — cores (`--cpus-per-task`).
    public var cpus: Int?
    /// `mem:` in megabytes (`--mem`); written `500M`, `4G`, `1T` or a number of megabytes.
    public var memoryMegabytes: Int?
    /// `time:` in seconds (`--time`); written as Slurm does: minutes, `MM:SS`, `H:MM:SS`,
    /// `D-HH`, `D-HH:MM` or `D-HH:MM:SS`.
    public var timeSeconds: Int?
    /// `partition:`, `account:`, `qos:`.
    public var partition: String?
    public var account: String?
    public var qos: String?
    /// `sbatch:` — further sbatch arguments, each one argument (never through a shell).
    public var sbatchArguments: [String] = []
    /// `retries:` — resubmissions after OUT_OF_MEMORY, TIMEOUT, NODE_FAIL or PREEMPTED (default 2).
    public var retries: Int?
    /// `local: true` runs the stage on the machine running `paperflow run` even under the Slurm
    /// executor; `false` submits it though its plugin is one that runs locally by default.
    public var local: Bool?

    /// Creates resources; every field unset.
    public init() {}

    /// The retries when none are written.
    public static let defaultRetries = 2

    /// These resources with every unset field taken from `defaults` (the workflow's).
    public func over(_ defaults: StageResources) -> StageResources {
        var merged = self
        merged.cpus = cpus ?? defaults.cpus
        merged.memoryMegabytes = memoryMegabytes ?? defaults.memoryMegabytes
        merged.timeSeconds = timeSeconds ?? defaults.timeSeconds
        merged.partition = partition ?? defaults.partition
        merged.account = account ?? defaults.account
        merged.qos = qos ?? defaults.qos
        merged.sbatchArguments = defaults.sbatchArguments + sbatchArguments
        merged.retries = retries ?? defaults.retries
        merged.local = local ?? defaults.local
        return merged
    }

    /// `500M`, `4G`, `1T`, `2048` (megabytes, as Slurm reads a bare number) → megabytes.
    public static func megabytes(parsing text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard let last = trimmed.last else { return nil }
        let factors: [Character: Double] = ["K": 1.0 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024]
        let (digits, factor) = last.isNumber ? (Substring(trimmed), 1.0) : (trimmed.dropLast(), factors[last] ?? -1)
        guard factor > 0, let value = Double(digits), value > 0 else { return nil }
        return max(1, Int((value * factor).rounded(.up)))
    }

    /// Slurm's time forms → seconds: `90` (minutes), `30:00`, `1:30:00`, `2-0`, `2-12:00`, `2-12:00:00`.
    public static func seconds(parsing text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var days = 0
        var clock = Substring(trimmed)
        if let dash = trimmed.firstIndex(of: "-") {
            guard let d = Int(trimmed[..<dash]), d >= 0 else { return nil }
            days = d
            clock = trimmed[trimmed.index(after: dash)...]
        }
        let parts = clock.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        let p = parts.map { $0! }
        let seconds: Int
        if trimmed.contains("-") {
            // D-HH, D-HH:MM, D-HH:MM:SS
            seconds = p[0] * 3600 + (p.count > 1 ? p[1] * 60 : 0) + (p.count > 2 ? p[2] : 0)
        } else {
            // MM, MM:SS, HH:MM:SS
            switch p.count {
            case 1: seconds = p[0] * 60
            case 2: seconds = p[0] * 60 + p[1]
            default: seconds = p[0] * 3600 + p[1] * 60 + p[2]
            }
        }
        let total = days * 86_400 + seconds
        return total > 0 ? total : nil
    }

    /// Seconds in Slurm's `D-HH:MM:SS` form, rounded up to whole minutes' worth of seconds kept.
    public static func slurmTime(_ seconds: Int) -> String {
        let days = seconds / 86_400, rest = seconds % 86_400
        let clock = String(format: "%02d:%02d:%02d", rest / 3600, (rest % 3600) / 60, rest % 60)
        return days > 0 ? "\(days)-\(clock)" : clock
    }
}
