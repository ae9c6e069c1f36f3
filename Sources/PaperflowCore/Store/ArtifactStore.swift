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
/// yaml/<hex>              composed trees of long workflow files, by the text's SHA-256
/// stamps/<hex>            what a no-op run consulted, by stat, per command (RunStamp)
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
    ///
    /// Outputs must be regular files: a symbolic link is refused (storing it would store a
    /// pointer to a file outside, and making it read-only would change that file's mode), and a
    /// file with other hard links is copied rather than moved (moving it would make a project
    /// file the blob). Nothing here follows a link.
    /// - Throws: `StoreError.notRegularFile`, `StoreError.io`.
    public func ingest(fileAt url: URL) throws -> StoredArtifact {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { throw StoreError.io("cannot stat \(url.path)", errno) }
        try Self.requireRegularFile(info, url.path)
        if info.st_nlink > 1 { return try copyIn(url.path) }
        let fd = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("cannot open \(url.path)", errno) }
        fchmod(fd, 0o444)
        close(fd)
        let (digest, size) = try ContentHasher.digest(ofFileAt: url.path)
        let blob = blobURL(digest)
        try FileSystem.makeDirectory(blob.deletingLastPathComponent())
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

    /// Copies an output a stage wrote outside its scratch directory into the store. Like
    /// `ingest(fileAt:)`, it must be a regular file, not a link.
    /// - Throws: `StoreError.notRegularFile`, `StoreError.inputChangedWhileReading`, `StoreError.io`.
    public func ingestCopy(ofOutputAt path: String) throws -> StoredArtifact {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw StoreError.io("cannot stat \(path)", errno) }
        try Self.requireRegularFile(info, path)
        return try copyIn(path)
    }

    /// Hashes `path`, then copies it in, checking the copy has that digest.
    private func copyIn(_ path: String) throws -> StoredArtifact {
        let (digest, _) = try ContentHasher.digest(ofFileAt: path)
        return try ingestCopy(ofFileAt: path, expected: digest)
    }

    /// Copies a project file into the store in one read (hashing while copying).
    /// - Parameter expected: the digest the stage key was computed with; a different result
    ///   means the file changed in between, which fails rather than storing a mislabelled blob.
    /// - Throws: `StoreError.inputChangedWhileReading` or `StoreError.io`.
    public func ingestCopy(ofFileAt path: String, expected: Digest) throws -> StoredArtifact {
        if case .present(let artifact) = check(expected) { return artifact }
        var info = stat()
        guard stat(path, &info) == 0 else { throw StoreError.io("cannot stat \(path)", errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw StoreError.notRegularFile(path, "not a regular file") }
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

    /// Throws unless `info` (from `lstat`) is a regular file's.
    private static func requireRegularFile(_ info: stat, _ path: String) throws {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFLNK:
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
            throw StoreError.notRegularFile(path, "a symbolic link (to \(target)); write the bytes instead (cp -L)")
        case S_IFDIR: throw StoreError.notRegularFile(path, "a directory")
        default: throw StoreError.notRegularFile(path, "not a regular file (a FIFO, socket or device)")
        }
    }

    /// The content digest of a declared input: a file's, or a folder's tree digest (its files
    /// through the memo, so an unchanged tree costs a walk of stats); nil when it does not exist.
    /// - Throws: `StoreError.io` when it exists but cannot be read.
    public func inputDigest(ofPath path: String) throws -> Digest? {
        guard FileSystem.isDirectory(path) else { return try memo.digest(ofFileAt: path)?.digest }
        return try ContentHasher.treeDigest(URL(fileURLWithPath: path, isDirectory: true)) { file in
            guard let (digest, _) = try memo.digest(ofFileAt: file) else { throw StoreError.io("cannot read \(file)", ENOENT) }
            return digest
        }
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

    public func actionURL(_ key: Digest) -> URL {
        URL(fileURLWithPath: "\(rootPath)/actions/\(key.hex.prefix(2))/\(key.hex.dropFirst(2))", isDirectory: false)
    }

    /// The action record for `key`, if any; an unreadable record counts as absent.
    public func action(for key: Digest) -> ActionRecord? {
        guard let data = try? Data(contentsOf: actionURL(key)) else { return nil }
        return data.withUnsafeBytes { ActionRecord(utf8: $0) }
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
        FileSystem.removeTree(url.path)
        try FileSystem.makeDirectory(url.appendingPathComponent("out", isDirectory: true))
        return url
    }

    /// Removes every scratch directory (call only while holding the store lock).
    public func clearTemporaryFiles() {
        // A run that was killed leaves its scratch folder under tmp/; only then can it have left
        // half-written files beside blobs and action records (its stores happen while its
        // scratch exists), so only then are the 512 shard folders listed.
        let interrupted = !((try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory.path)) ?? []).isEmpty
        FileSystem.removeTree(temporaryDirectory.path)
        try? FileSystem.makeDirectory(temporaryDirectory)
        guard interrupted else { return }
        // Temporary files of writes a killed process did not finish (`.NAME.tmp-PID-N` beside
        // blobs and action records): never complete, never named by a record.
        for folder in [casDirectory, actionsDirectory] {
            for shard in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
                let shardPath = folder.path + "/" + shard
                for name in (try? FileManager.default.contentsOfDirectory(atPath: shardPath)) ?? [] where Self.isInterruptedWrite(name) {
                    unlink(shardPath + "/" + name)
                }
            }
        }
    }

    /// Whether a file name in `cas/` or `actions/` is the temporary file of an atomic write.
    public static func isInterruptedWrite(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".tmp-")
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
        // The hard link changed the blob's ctime: remember its new stat tuple (its bytes are the
        // ones just checked), so the next run does not hash every blob again.
        let blob = blobPath(artifact.digest)
        if let identity = FileSystem.identity(ofFileAt: blob), identity.size == artifact.size { memo.remember(blob, identity, artifact.digest) }
    }

    /// Makes the project file `relativePath` hold the blob's bytes (an `io.export` target),
    /// atomically; skips the copy when the file already has that content.
    ///
    /// The target is checked now, at write time, not only when the workflow was loaded: no
    /// component of the path may be a symbolic link (one made by an upstream stage would lead
    /// the write outside), and the target may not be under `Artifacts/` or `.git/`, nor be a
    /// workflow or lock file, nor a path in `protected`.
    /// - Throws: `StoreError.refusedExport` with the reason, `StoreError.io`.
    public func export(_ artifact: StoredArtifact, to relativePath: String, projectRoot: URL, protected: Set<String>) throws {
        let components = relativePath.split(separator: "/").map(String.init)
        guard !components.isEmpty, !components.contains(".."), !relativePath.hasPrefix("/") else {
            throw StoreError.refusedExport(relativePath, "it is not a path inside the project")
        }
        if ["Artifacts", ".git"].contains(components[0]) {
            throw StoreError.refusedExport(relativePath, "\(components[0])/ belongs to Paperflow and git; export somewhere else, e.g. results/")
        }
        let name = components.last!
        if name.hasSuffix(".lock") || protected.contains(relativePath)
            || (components[0] == "Workflows" && (name.hasSuffix(".yaml") || name.hasSuffix(".yml"))) {
            throw StoreError.refusedExport(relativePath, "it is a workflow or lock file")
        }
        var probe = projectRoot.path
        for component in components {
            probe += "/" + component
            var info = stat()
            guard lstat(probe, &info) == 0 else { break }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                throw StoreError.refusedExport(relativePath, "\(probe.dropFirst(projectRoot.path.count + 1)) is a symbolic link")
            }
        }
        let url = URL(fileURLWithPath: projectRoot.path + "/" + relativePath)
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
    public static func safeFileName(_ name: String) -> String {
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
