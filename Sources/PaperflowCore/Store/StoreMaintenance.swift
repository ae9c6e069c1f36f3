import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `cache verify` found.
public struct VerificationReport: Sendable {
    /// Blobs read and hashed.
    public var blobsChecked = 0
    /// Blobs whose bytes do not hash to their name.
    public var corruptBlobs: [String] = []
    /// Files in `cas/` that are not complete blobs and not an interrupted write (misnamed files).
    public var partialFiles: [String] = []
    /// Temporary files of writes a killed run did not finish: not corruption; the next run
    /// (or `--repair`) removes them.
    public var interruptedWrites: [String] = []
    /// Action records checked.
    public var actionsChecked = 0
    /// Action records that cannot be read or name a missing blob.
    public var danglingActions: [String] = []

    /// Whether the store is consistent.
    public var isConsistent: Bool { corruptBlobs.isEmpty && partialFiles.isEmpty && danglingActions.isEmpty }
}

/// What `gc` removed (or, in a dry run, would remove).
public struct CollectionReport: Sendable {
    public var blobsRemoved = 0
    public var bytesRemoved: Int64 = 0
    public var actionsRemoved = 0
    public var runRecordsRemoved = 0
    public var blobsKept = 0
}

extension ArtifactStore {
    /// Rehashes every blob and checks every action record.
    /// - Parameter repair: delete what is corrupt, partial or dangling (the next run recomputes it).
    public func verify(repair: Bool) -> VerificationReport {
        var report = VerificationReport()
        let fileManager = FileManager.default
        for shard in (try? fileManager.contentsOfDirectory(atPath: casDirectory.path)) ?? [] {
            let shardURL = casDirectory.appendingPathComponent(shard, isDirectory: true)
            for name in (try? fileManager.contentsOfDirectory(atPath: shardURL.path)) ?? [] {
                let url = shardURL.appendingPathComponent(name)
                if ArtifactStore.isInterruptedWrite(name) {
                    report.interruptedWrites.append(url.path)
                    if repair { unlink(url.path) }
                    continue
                }
                guard shard.count == 2, let digest = Digest(hex: shard + name) else {
                    report.partialFiles.append(url.path)
                    if repair { unlink(url.path) }
                    continue
                }
                report.blobsChecked += 1
                let found = try? ContentHasher.digest(ofFileAt: url.path)
                if found?.digest != digest {
                    report.corruptBlobs.append(url.path)
                    if repair { unlink(url.path); memo.forget(url.path) }
                } else if let identity = FileSystem.identity(ofFileAt: url.path) {
                    memo.remember(url.path, identity, digest)
                }
            }
        }
        for shard in (try? fileManager.contentsOfDirectory(atPath: actionsDirectory.path)) ?? [] {
            let shardURL = actionsDirectory.appendingPathComponent(shard, isDirectory: true)
            for name in (try? fileManager.contentsOfDirectory(atPath: shardURL.path)) ?? [] {
                let url = shardURL.appendingPathComponent(name)
                if ArtifactStore.isInterruptedWrite(name) {
                    report.interruptedWrites.append(url.path)
                    if repair { unlink(url.path) }
                    continue
                }
                report.actionsChecked += 1
                guard let data = try? Data(contentsOf: url), let action = ActionRecord(text: Substring(decoding: data, as: UTF8.self)),
                      action.outputs.values.allSatisfy({ FileSystem.exists(blobURL($0.digest).path) }) else {
                    report.danglingActions.append(url.path)
                    if repair { unlink(url.path) }
                    continue
                }
            }
        }
        try? memo.save()
        return report
    }

    /// Removes blobs and action records that no lock file under `lockDirectory` and no run record
    /// newer than `keepDays` references, and run records older than that.
    public func collectGarbage(lockDirectory: URL, keepDays: Double, dryRun: Bool) throws -> CollectionReport {
        var report = CollectionReport()
        var liveBlobs: Set<Digest> = []
        var liveKeys: Set<Digest> = []
        func keep(key: Digest?, outputs: [String: OutputRecord]?) {
            if let key { liveKeys.insert(key) }
            for output in (outputs ?? [:]).values { liveBlobs.insert(output.digest) }
        }
        let fileManager = FileManager.default
        // The committed locks, and every named experiment's (until `exp remove` drops it).
        for directory in [lockDirectory, root.appendingPathComponent("experiments", isDirectory: true)] {
            guard let enumerator = fileManager.enumerator(at: directory, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in enumerator where url.pathExtension == "lock" {
                guard let lock = try WorkflowLock.read(from: url) else { continue }
                for entry in lock.stages.values { keep(key: entry.key, outputs: entry.outputs) }
            }
        }
        let cutoff = Date().timeIntervalSince1970 - keepDays * 86_400
        for url in runRecordURLs() {
            guard let record = try? RunRecord(contentsOf: url) else { continue }
            if record.header.started >= cutoff {
                for stage in record.stages { keep(key: stage.key, outputs: stage.outputs) }
            } else {
                report.runRecordsRemoved += 1
                if !dryRun { unlink(url.path) }
            }
        }
        for shard in (try? fileManager.contentsOfDirectory(atPath: actionsDirectory.path)) ?? [] {
            let shardURL = actionsDirectory.appendingPathComponent(shard, isDirectory: true)
            for name in (try? fileManager.contentsOfDirectory(atPath: shardURL.path)) ?? [] {
                guard let key = Digest(hex: shard + name), liveKeys.contains(key) else {
                    report.actionsRemoved += 1
                    if !dryRun { unlink(shardURL.appendingPathComponent(name).path) }
                    continue
                }
            }
        }
        for shard in (try? fileManager.contentsOfDirectory(atPath: casDirectory.path)) ?? [] {
            let shardURL = casDirectory.appendingPathComponent(shard, isDirectory: true)
            for name in (try? fileManager.contentsOfDirectory(atPath: shardURL.path)) ?? [] {
                let url = shardURL.appendingPathComponent(name)
                if let digest = Digest(hex: shard + name), liveBlobs.contains(digest) {
                    report.blobsKept += 1
                    continue
                }
                report.blobsRemoved += 1
                report.bytesRemoved += FileSystem.identity(ofFileAt: url.path)?.size ?? 0
                if !dryRun { unlink(url.path); memo.forget(url.path) }
            }
        }
        // Composed workflow trees and no-op stamps: speed-ups only, remade by the next runs.
        for folder in ["yaml", "stamps"] {
            let url = root.appendingPathComponent(folder, isDirectory: true)
            for name in (try? fileManager.contentsOfDirectory(atPath: url.path)) ?? [] where !dryRun {
                unlink(url.appendingPathComponent(name).path)
            }
        }
        if !dryRun { try memo.save() }
        return report
    }
}
