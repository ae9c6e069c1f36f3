import Foundation

/// Watches a run's jobs with one `squeue` call per cycle for all of them — never one per job —
/// backing off from a quarter second to `maximumInterval` while nothing changes. Stage lanes
/// wait here for their job's end.
///
/// Unchecked Sendable: every field is read and written under `condition`.
final class SlurmMonitor: @unchecked Sendable {
    private let client: SlurmClient
    private let condition = NSCondition()
    private var watched: Set<String> = []
    private var statuses: [String: SlurmJobStatus] = [:]
    /// Cycles a watched job has been missing from squeue.
    private var missing: [String: Int] = [:]
    private var polling = false
    /// The last query's failure, shown if a job's fate stays unknown.
    private var lastError: String?
    /// Queries made (for the run record and tests: one per cycle).
    private(set) var queries = 0
    let maximumInterval: Double

    init(client: SlurmClient, maximumInterval: Double = 5) {
        self.client = client
        self.maximumInterval = maximumInterval
    }

    /// Starts watching `job`.
    func watch(_ job: String) {
        condition.lock()
        watched.insert(job)
        let start = !polling
        polling = true
        condition.unlock()
        if start {
            let thread = Thread { [self] in poll() }
            thread.name = "paperflow.slurm.monitor"
            thread.start()
        }
    }

    /// Waits for `job` to end; `nil` when `cancellation` is set first.
    func wait(for job: String, cancellation: CancellationFlag) -> SlurmJobStatus? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let status = statuses[job], status.isTerminal { return status }
            if cancellation.isCancelled { return nil }
            _ = condition.wait(until: Date().addingTimeInterval(0.25))
        }
    }

    /// The run's jobs that have not ended (for `scancel`).
    var active: [String] {
        condition.lock()
        defer { condition.unlock() }
        return watched.filter { statuses[$0]?.isTerminal != true }.sorted()
    }

    /// Waits up to `seconds` for every watched job to end (after `scancel`).
    func drain(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if active.isEmpty { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return active.isEmpty
    }

    private func poll() {
        var interval = 0.25
        while true {
            condition.lock()
            let open = watched.filter { statuses[$0]?.isTerminal != true }.sorted()
            if open.isEmpty { polling = false; condition.unlock(); return }
            queries += 1
            condition.unlock()

            var changed = false
            do {
                let found = try client.query(open)
                var gone: [String] = []
                condition.lock()
                for job in open {
                    if let status = found[job] {
                        if statuses[job] != status { changed = changed || statuses[job]?.state != status.state }
                        statuses[job] = status
                        missing[job] = nil
                    } else {
                        missing[job, default: 0] += 1
                        if missing[job]! >= 3 { gone.append(job) }
                    }
                }
                lastError = nil
                condition.unlock()
                // Left slurmctld's memory (MinJobAge): accounting, when the cluster keeps it; else
                // the job's fate is unknown and the stage's reply decides.
                if !gone.isEmpty {
                    let accounted = client.accounting(gone) ?? [:]
                    condition.lock()
                    for job in gone {
                        statuses[job] = accounted[job].flatMap { $0.isTerminal ? $0 : nil }
                            ?? SlurmJobStatus(id: job, state: "UNKNOWN_ENDED")
                    }
                    condition.unlock()
                    changed = true
                }
            } catch {
                condition.lock()
                lastError = "\(error)"
                condition.unlock()
            }
            condition.broadcast()
            interval = changed ? 0.25 : min(maximumInterval, interval * 1.5)
            Thread.sleep(forTimeInterval: interval)
        }
    }
}

extension SlurmJobStatus {
    /// Treated as ended by the monitor though Slurm named no state: the job left squeue and
    /// there is no accounting to ask.
    var isUnknownEnd: Bool { state == "UNKNOWN_ENDED" }
}
