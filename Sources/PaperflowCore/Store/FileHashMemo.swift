import Foundation
import Synchronization

/// Remembers file digests by stat tuple, so an unchanged file is never read twice.
///
/// Keyed by absolute path; valid while (device, inode, size, mtime ns, ctime ns) are unchanged.
/// The same memo verifies store blobs cheaply: a blob whose stat tuple is remembered with its
/// digest has not been touched since it was last hashed. Kept in `Artifacts/memo.json`,
/// machine-local (never shared: inodes mean nothing elsewhere).
public final class FileHashMemo: Sendable {
    struct Entry: Codable, Sendable {
        var identity: FileIdentity
        var digest: Digest
    }

    private let url: URL
    private let state: Mutex<(entries: [String: Entry], dirty: Bool)>

    /// Loads the memo at `url` (an unreadable memo is discarded: it is only a speed-up).
    public init(url: URL) {
        self.url = url
        var entries: [String: Entry] = [:]
        if let data = try? Data(contentsOf: url), let decoded = try? JSONDecoder().decode([String: Entry].self, from: data) {
            entries = decoded
        }
        state = Mutex((entries, false))
    }

    /// The digest of the file at `path`: remembered if its stat tuple is unchanged, else read.
    /// - Returns: `nil` if the file does not exist.
    /// - Throws: `StoreError.io` when it exists but cannot be read.
    public func digest(ofFileAt path: String) throws -> (digest: Digest, size: Int64)? {
        guard let identity = FileSystem.identity(ofFileAt: path) else { return nil }
        if let known = remembered(path, identity) { return (known, identity.size) }
        let (digest, size) = try ContentHasher.digest(ofFileAt: path)
        // Only remember if the file did not change while we read it.
        if FileSystem.identity(ofFileAt: path) == identity { remember(path, identity, digest) }
        return (digest, size)
    }

    /// The remembered digest for `path` if its stat tuple still matches.
    public func remembered(_ path: String, _ identity: FileIdentity) -> Digest? {
        state.withLock { $0.entries[path] }.flatMap { $0.identity == identity ? $0.digest : nil }
    }

    /// Records that `path`, with this stat tuple, has `digest`.
    public func remember(_ path: String, _ identity: FileIdentity, _ digest: Digest) {
        state.withLock { state in
            if let existing = state.entries[path], existing.identity == identity, existing.digest == digest { return }
            state.entries[path] = Entry(identity: identity, digest: digest)
            state.dirty = true
        }
    }

    /// Forgets `path`.
    public func forget(_ path: String) {
        state.withLock { state in
            if state.entries.removeValue(forKey: path) != nil { state.dirty = true }
        }
    }

    /// Writes the memo if it changed, dropping entries for files that no longer exist.
    public func save() throws {
        let snapshot: [String: Entry]? = state.withLock { state in
            guard state.dirty else { return nil }
            state.dirty = false
            return state.entries
        }
        guard var entries = snapshot else { return }
        entries = entries.filter { FileSystem.exists($0.key) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileSystem.writeAtomically(try encoder.encode(entries), to: url)
    }
}
