import Synchronization

/// A remote cache as one run (or one push or pull) uses it: fetch an action and its blobs before
/// computing, upload after. The first time the remote cannot be reached it is reported once and
/// left alone for the rest of the session, so a server that goes away makes the run compute
/// locally instead of failing or waiting on every stage.
public final class RemoteSession: Sendable {
    /// The remote.
    public let remote: any RemoteCache
    /// Which of its action records may be used, and the key that signs uploads.
    public let trust: RemoteTrust
    private let failure = Mutex<String?>(nil)

    /// Creates a session.
    public init(remote: any RemoteCache, trust: RemoteTrust) {
        self.remote = remote
        self.trust = trust
    }

    /// Why the remote was given up, once it was.
    public var unavailable: String? { failure.withLock { $0 } }

    /// Runs `body` unless the remote was given up; reports the first failure to reach it through
    /// `warn` and gives it up. Rejected data is reported every time and is not a reason to stop.
    private func attempt<T>(_ warn: (String) -> Void, _ body: () throws -> T?) -> T? {
        guard unavailable == nil else { return nil }
        do {
            return try body()
        } catch let error as RemoteError {
            if case let .unavailable(message) = error {
                let first = failure.withLock { current -> Bool in
                    defer { if current == nil { current = message } }
                    return current == nil
                }
                if first { warn("\(message); computing locally and not using the remote cache for the rest of this run") }
            } else {
                warn(error.description)
            }
            return nil
        } catch {
            warn("remote cache \(remote.location): \(error)")
            return nil
        }
    }

    /// The action for `key` with every output blob fetched and verified into `store`, and the
    /// record entered there; `nil` when the remote lacks any part or cannot be reached.
    public func fetch(_ key: Digest, into store: ArtifactStore, warn: (String) -> Void) -> ActionRecord? {
        attempt(warn) {
            var bytes: Int64 = 0
            return try RemoteTransfer.receive(key, into: store, from: remote, trust: trust, bytes: &bytes)
        }
    }

    /// Uploads the blobs the remote lacks, then the record. Returns the bytes sent, or `nil`
    /// when the upload did not complete.
    @discardableResult
    public func upload(_ action: ActionRecord, from store: ArtifactStore, warn: (String) -> Void) -> Int64? {
        attempt(warn) { try RemoteTransfer.send(trust.signed(action), from: store, to: remote) }
    }
}

/// `paperflow cache push` and `pull`: the actions lock files name, and their blobs.
public enum RemoteTransfer {
    /// What a push or pull did.
    public struct Report: Sendable, Equatable {
        /// Action records sent or received (with all their blobs).
        public var actions = 0
        /// Actions the other side already had whole.
        public var alreadyThere = 0
        /// Bytes of blobs sent or received.
        public var bytes: Int64 = 0
        /// Stages whose outputs the source does not hold.
        public var missing: [String] = []
        /// What arrived and was refused (digest mismatch, malformed or unvouched record).
        public var rejected: [String] = []
        /// Stages marked confidential, whose outputs never leave this machine.
        public var confidential: [String] = []
    }

    /// Sends every action the locks name that the local store holds whole.
    /// - Throws: `RemoteError.unavailable` when the remote cannot be reached.
    /// Records are signed with `trust`'s secret when it has one. Confidential stages are
    /// skipped and listed.
    public static func push(_ store: ArtifactStore, locks: [WorkflowLock], to remote: any RemoteCache, trust: RemoteTrust) throws -> Report {
        var report = Report()
        let secret = confidentialKeys(locks)
        for (stage, key) in entries(locks) {
            if secret.contains(key) {
                report.confidential.append(stage)
                continue
            }
            guard let action = store.action(for: key), whole(action, in: store) else {
                report.missing.append(stage)
                continue
            }
            // Already there only if the remote's record names our outputs: a rewritten record is
            // replaced by ours, not left standing.
            if let existing = try? remote.fetchAction(key), existing.outputs.mapValues(\.digest) == action.outputs.mapValues(\.digest),
               try action.outputs.values.allSatisfy({ try remote.contains($0.digest) }) {
                report.alreadyThere += 1
                continue
            }
            report.bytes += try send(trust.signed(action), from: store, to: remote)
            report.actions += 1
        }
        return report
    }

    /// Fetches every action the locks name that the local store lacks, verifying each blob.
    /// - Throws: `RemoteError.unavailable` when the remote cannot be reached.
    /// A record is used only if the locks (or a signature with `trust`'s secret) vouch for it.
    public static func pull(_ store: ArtifactStore, locks: [WorkflowLock], from remote: any RemoteCache, trust: RemoteTrust) throws -> Report {
        var report = Report()
        for (stage, key) in entries(locks) {
            if let local = store.action(for: key), whole(local, in: store) {
                report.alreadyThere += 1
                continue
            }
            do {
                guard try receive(key, into: store, from: remote, trust: trust, bytes: &report.bytes) != nil else {
                    report.missing.append(stage)
                    continue
                }
                report.actions += 1
            } catch let RemoteError.rejected(message) {
                report.rejected.append("\(stage): \(message)")
            }
        }
        try? store.memo.save()
        return report
    }

    /// The action for `key` with every output blob fetched (verified) into `store`, and the
    /// record entered there; `nil` when the remote lacks the record or any blob.
    /// - Parameter bytes: increased by the size of each blob received (those of an incomplete
    ///   action too: they are in the store).
    /// - Throws: `RemoteError.rejected` for a record nothing in `trust` vouches for (it is not stored).
    static func receive(_ key: Digest, into store: ArtifactStore, from remote: any RemoteCache, trust: RemoteTrust,
                        bytes: inout Int64) throws -> ActionRecord? {
        guard let action = try remote.fetchAction(key) else { return nil }
        try trust.verify(action, source: "\(remote.location)/ac/\(key.hex)")
        for output in action.outputs.values.sorted(by: { $0.digest < $1.digest }) {
            if case .present = store.check(output.digest) { continue }
            guard let artifact = try remote.fetchBlob(output.digest, size: output.size, into: store) else { return nil }
            bytes += artifact.size
        }
        try store.record(action)
        return action
    }

    /// Uploads the blobs of `action` the remote lacks, then the record.
    /// - Returns: the bytes of blobs sent.
    static func send(_ action: ActionRecord, from store: ArtifactStore, to remote: any RemoteCache) throws -> Int64 {
        var sent: Int64 = 0
        for output in action.outputs.values.sorted(by: { $0.digest < $1.digest }) {
            guard case let .present(artifact) = store.check(output.digest) else {
                throw RemoteError.rejected("\(output.digest.short) of \(action.stage) is not in the local store; not uploaded")
            }
            if try remote.contains(artifact.digest) { continue }
            try remote.putBlob(artifact)
            sent += artifact.size
        }
        try remote.putAction(action)
        return sent
    }

    /// Whether every output of `action` is in `store`, intact.
    static func whole(_ action: ActionRecord, in store: ArtifactStore) -> Bool {
        action.outputs.values.allSatisfy { if case .present = store.check($0.digest) { true } else { false } }
    }

    /// The keys of lock entries marked confidential, and of any entry that shares an output's
    /// bytes with one (identical bytes are the confidential bytes, whoever else made them).
    static func confidentialKeys(_ locks: [WorkflowLock]) -> Set<Digest> {
        let entries = locks.flatMap(\.stages.values)
        let secretBytes = Set(entries.filter(\.confidential).flatMap { $0.outputs.values.map(\.digest) })
        return Set(entries.filter { entry in entry.confidential || entry.outputs.values.contains { secretBytes.contains($0.digest) } }.map(\.key))
    }

    /// (workflow/stage, key) of every lock entry, each key once.
    static func entries(_ locks: [WorkflowLock]) -> [(String, Digest)] {
        var seen = Set<Digest>()
        var result: [(String, Digest)] = []
        for lock in locks {
            for name in lock.stages.keys.sorted() {
                let key = lock.stages[name]!.key
                if seen.insert(key).inserted { result.append(("\(lock.workflow)/\(name)", key)) }
            }
        }
        return result
    }
}
