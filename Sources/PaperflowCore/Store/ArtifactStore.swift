import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The artifact store under `Artifacts/`.
///
/// ```
/// cas/ab/<hex>            blobs by SHA-256, read-only, entered by rename (never half-written)
/// actions/ab/<hex>        stage key → outputs (the action cache, a line format)
/// runs/<run id>.jsonl     run records, one line per stage
/// tmp/                    scratch space of running stages (cleared by the next run)
/// memo                    file-hash memo (machine-local)
/// lock, lock-holder.json  the exclusive lock of a running `paperflow run`
/// <workflow>/<stage>/...  the human-facing view of the latest outputs
/// ```
/// Nothing is fsync'ed: a killed process leaves every file either absent or complete (rename is
/// atomic); surviving power loss would cost a sync per blob and is left to `cache verify`.
public final class ArtifactStore: Sendable {
    /// The store's root (`Artifacts/`).
    public let root: URL
    /// The file-hash memo.
    public let memo: FileHashMemo
    /// `root`'s path; paths on the hot path are built as strings (URL appending is slow).
    let rootPath: String

    /// Opens (and creates if needed) the store at `root`.
    public init(root: URL) throws {
        self.root = root.standardizedFileURL
        rootPath = self.root.path
        for folder in ["cas", "actions", "runs", "tmp"] {
            try FileSystem.makeDirectory(self.root.appendingPathComponent(folder, isDirectory: true))
        }
        memo = FileHashMemo(url: self.root.appendingPathComponent("memo"))
    }

    /// The folder of blobs.
    public var casDirectory: URL { root.appendingPathComponent("cas", isDirectory: true) }
    /// The folder of action records.
    public var actionsDirectory: URL { root.appendingPathComponent("actions", isDirectory: true) }
    /// The folder of run records.
    public var runsDirectory: URL { root.appendingPathComponent("runs", isDirectory: true) }
    /// The scratch folder.
    public var temporaryDirectory: URL { root.appendingPathComponent("tmp", isDirectory: true) }

    /// Where the blob with `digest` lives.
    public func blobURL(_ digest: Digest) -> URL {
        URL(fileURLWithPath: blobPath(digest), isDirectory: false)
    }

    /// The blob's path as a string.
    func blobPath(_ digest: Digest) -> String {
        "\(rootPath)/cas/\(digest.hex.prefix(2))/\(digest.hex.dropFirst(2))"
    }

    // MARK: Blobs

    /// Moves a file a stage wrote into the store (same filesystem: a rename, no copy).
    /// - Throws: `StoreError.io`.
    public func ingest(fileAt url: URL) throws -> StoredArtifact {
        let (digest, size) = try ContentHasher.digest(ofFileAt: url.path)
        let blob = blobURL(digest)
        try FileSystem.makeDirectory(blob.deletingLastPathComponent())
        chmod(url.path, 0o444)
        // Renaming over an existing blob replaces it with identical bytes, and repairs a damaged one.
        guard rename(url.path, blob.path) == 0 else { throw StoreError.io("cannot move \(url.path) into the store", errno) }
        if let identity = FileSystem.identity(ofFileAt: blob.path) { memo.remember(blob.path, identity, digest) }
        return StoredArtifact(digest: digest, size: size, url: blob)
    }

    /// Writes bytes into the store.
    public func ingest(data: Data) throws -> StoredArtifact {
        let digest = ContentHasher.digest(of: data)
        let blob = blobURL(digest)
        if case .present(let artifact) = check(digest) { return artifact }
        try FileSystem.writeAtomically(data, to: blob, permissions: 0o444)
        if let identity = FileSystem.identity(ofFileAt: blob.path) { memo.remember(blob.path, identity, digest) }
        return StoredArtifact(digest: digest, size: Int64(data.count), url: blob)
    }

    /// Copies a project file into the store in one read (hashing while copying).
    /// - Parameter expected: the digest the stage key was computed with; a different result
    ///   means the file changed in between, which fails rather than storing a mislabelled blob.
    /// - Throws: `StoreError.inputChangedWhileReading` or `StoreError.io`.
    public func ingestCopy(ofFileAt path: String, expected: Digest) throws -> StoredArtifact {
        if case .present(let artifact) = check(expected) { return artifact }
        let temporary = temporaryDirectory.appendingPathComponent("copy-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw StoreError.io("cannot create \(temporary.path)", errno) }
        let result: (digest: Digest, size: Int64)
        do {
            result = try ContentHasher.stream(path, copyingTo: fd)
            close(fd)
        } catch {
            close(fd)
            unlink(temporary.path)
            throw error
        }
        guard result.digest == expected else {
            unlink(temporary.path)
            throw StoreError.inputChangedWhileReading(path)
        }
        let blob = blobURL(result.digest)
        try FileSystem.makeDirectory(blob.deletingLastPathComponent())
        guard rename(temporary.path, blob.path) == 0 else {
            unlink(temporary.path)
            throw StoreError.io("cannot move a copy of \(path) into the store", errno)
        }
        if let identity = FileSystem.identity(ofFileAt: blob.path) { memo.remember(blob.path, identity, result.digest) }
        return StoredArtifact(digest: result.digest, size: result.size, url: blob)
    }

    /// The state of a blob.
    public enum BlobState: Sendable {
        case present(StoredArtifact)
        case missing
        /// Its bytes no longer hash to its name; it has been removed from the store.
        case corrupt(found: Digest)
    }

    /// Checks a blob before use: present, and its bytes still hash to its name.
    ///
    /// Cheap for untouched blobs (the stat tuple matches the memo); a blob whose stat tuple
    /// changed is rehashed, and one whose bytes changed is reported and, with `removeCorrupt`
    /// (only under the store lock), deleted so that it is recomputed, never used.
    public func check(_ digest: Digest, removeCorrupt: Bool = true) -> BlobState {
        let path = blobPath(digest)
        guard let identity = FileSystem.identity(ofFileAt: path) else { return .missing }
        if memo.remembered(path, identity) == digest {
            return .present(StoredArtifact(digest: digest, size: identity.size, url: URL(fileURLWithPath: path, isDirectory: false)))
        }
        guard let (found, size) = try? ContentHasher.digest(ofFileAt: path) else { return .missing }
        guard found == digest else {
            if removeCorrupt {
                unlink(path)
                memo.forget(path)
            }
            return .corrupt(found: found)
        }
        memo.remember(path, identity, digest)
        return .present(StoredArtifact(digest: digest, size: size, url: URL(fileURLWithPath: path, isDirectory: false)))
    }

    // MARK: Action cache

    func actionURL(_ key: Digest) -> URL {
        URL(fileURLWithPath: "\(rootPath)/actions/\(key.hex.prefix(2))/\(key.hex.dropFirst(2))", isDirectory: false)
    }

    /// The action record for `key`, if any; an unreadable record counts as absent.
    public func action(for key: Digest) -> ActionRecord? {
        guard let data = try? Data(contentsOf: actionURL(key)) else { return nil }
        return ActionRecord(text: Substring(decoding: data, as: UTF8.self))
    }

    /// Records a finished stage (after its blobs are in place, so a record never names a missing blob).
    public func record(_ action: ActionRecord) throws {
        try FileSystem.writeAtomically(Data(action.text.utf8), to: actionURL(action.key))
    }

    /// Removes an action record (its blobs were found missing or corrupt).
    public func forgetAction(_ key: Digest) {
        unlink(actionURL(key).path)
    }

    // MARK: Scratch and views

    /// A fresh scratch directory for a stage of run `runID`.
    public func makeScratchDirectory(runID: String, stage: String) throws -> URL {
        let url = temporaryDirectory.appendingPathComponent(runID, isDirectory: true)
            .appendingPathComponent(Self.safeFileName(stage), isDirectory: true)
        try? FileManager.default.removeItem(at: url)
        try FileSystem.makeDirectory(url.appendingPathComponent("out", isDirectory: true))
        return url
    }

    /// Removes every scratch directory (call only while holding the store lock).
    public func clearTemporaryFiles() {
        try? FileManager.default.removeItem(at: temporaryDirectory)
        try? FileSystem.makeDirectory(temporaryDirectory)
    }

    /// Makes `Artifacts/<workflow>/<stage>/<fileName>` show the blob (a hard link; a copy across
    /// filesystems). Skips the work when the view already is that blob.
    public func updateView(workflow: String, stage: String, fileName: String, artifact: StoredArtifact) throws {
        let directoryPath = "\(rootPath)/\(workflow)/\(Self.safeFileName(stage))"
        let viewPath = "\(directoryPath)/\(fileName)"
        if let viewIdentity = FileSystem.identity(ofFileAt: viewPath),
           let blobIdentity = FileSystem.identity(ofFileAt: blobPath(artifact.digest)),
           viewIdentity.inode == blobIdentity.inode, viewIdentity.device == blobIdentity.device {
            return
        }
        try FileSystem.makeDirectory(URL(fileURLWithPath: directoryPath, isDirectory: true))
        try place(artifact, at: URL(fileURLWithPath: viewPath, isDirectory: false))
    }

    /// Makes the project file at `url` hold the blob's bytes (an `io.export` target), atomically;
    /// skips the copy when the file already has that content.
    public func export(_ artifact: StoredArtifact, to url: URL) throws {
        if let existing = try? memo.digest(ofFileAt: url.path), existing.digest == artifact.digest { return }
        try FileSystem.makeDirectory(url.deletingLastPathComponent())
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).paperflow-tmp-\(getpid())")
        unlink(temporary.path)
        do {
            try FileManager.default.copyItem(at: artifact.url, to: temporary)
        } catch {
            throw StoreError.io("cannot copy to \(url.path): \(error.localizedDescription)", EIO)
        }
        chmod(temporary.path, 0o644)
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw StoreError.io("cannot write \(url.path)", errno)
        }
        if let identity = FileSystem.identity(ofFileAt: url.path) { memo.remember(url.path, identity, artifact.digest) }
    }

    private func place(_ artifact: StoredArtifact, at url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        unlink(temporary.path)
        if link(artifact.url.path, temporary.path) != 0 {
            do {
                try FileManager.default.copyItem(at: artifact.url, to: temporary)
            } catch {
                throw StoreError.io("cannot place \(url.path): \(error.localizedDescription)", EIO)
            }
        }
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw StoreError.io("cannot place \(url.path)", errno)
        }
    }

    /// A stage name as a file name: matrix brackets and commas are kept, slashes are not.
    static func safeFileName(_ name: String) -> String {
        String(name.map { $0 == "/" ? "_" : $0 })
    }

    /// Run ids sort by time: `20261122T143700.123Z-4242`.
    public static func newRunID() -> String {
        let now = Date()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return "\(formatter.string(from: now))-\(getpid())"
    }

    /// Every run record, oldest first.
    public func runRecordURLs() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runsDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".jsonl") }.sorted().map { runsDirectory.appendingPathComponent($0) }
    }
}
