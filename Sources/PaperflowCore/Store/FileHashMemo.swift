import Foundation
import Synchronization

/// Remembers file digests by stat tuple, so an unchanged file is never read twice.
///
/// Keyed by absolute path; valid while (device, inode, size, mtime ns, ctime ns) are unchanged.
/// The same memo verifies store blobs cheaply: a blob whose stat tuple is remembered with its
/// digest has not been touched since it was last hashed. Kept in `Artifacts/memo`, one line per
/// file (`device inode size mtime-ns ctime-ns sha256:… path`), machine-local (never shared:
/// inodes mean nothing elsewhere). A line format, because every run reads the whole memo.
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
        if let data = try? Data(contentsOf: url) {
            // Cut by byte (every run reads the whole memo): six space-separated fields, then the
            // path to the end of the line.
            data.withUnsafeBytes { bytes in
                func integer(_ range: Range<Int>) -> Int64? {
                    guard !range.isEmpty else { return nil }
                    var value: Int64 = 0
                    for i in range {
                        let digit = bytes[i] &- 48
                        guard digit < 10 else { return nil }
                        value = value &* 10 &+ Int64(digit)
                    }
                    return value
                }
                var start = 0
                while start < bytes.count {
                    var end = start
                    while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                    defer { start = end + 1 }
                    var cuts: [Int] = []
                    cuts.reserveCapacity(6)
                    for i in start..<end where bytes[i] == 0x20 && cuts.count < 6 { cuts.append(i) }
                    guard cuts.count == 6, let device = integer(start..<cuts[0]), let inode = integer((cuts[0] + 1)..<cuts[1]),
                          let size = integer((cuts[1] + 1)..<cuts[2]), let mtime = integer((cuts[2] + 1)..<cuts[3]),
                          let ctime = integer((cuts[3] + 1)..<cuts[4]),
                          let digest = Digest(parsing: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(cuts[4] + 1)..<cuts[5]]), as: UTF8.self))
                    else { continue }
                    let path = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(cuts[5] + 1)..<end]), as: UTF8.self)
                    entries[path] = Entry(identity: FileIdentity(device: UInt64(device), inode: UInt64(inode), size: size,
                                                                 mtimeNanoseconds: mtime, ctimeNanoseconds: ctime),
                                          digest: digest)
                }
            }
        }
        state = Mutex((entries, false))
    }

    /// The digest of the file at `path`: remembered if its stat tuple is unchanged, else read.
    /// - Returns: `nil` if the file does not exist.
    /// - Throws: `StoreError.io` when it exists but cannot be read.
    public func digest(ofFileAt path: String) throws -> (digest: Digest, size: Int64)? {
        guard let identity = FileSystem.identity(ofFileAt: path) else { return nil }
        if let known = remembered(path, identity) { return (known, identity.size) }
        let hashStarted = Self.nowNanoseconds()
        let (digest, size) = try ContentHasher.digest(ofFileAt: path)
        // Only remember if the file did not change while we read it, and (git's racy-clean
        // rule) was not modified within a timestamp tick of the hash: a write in the same tick
        // would leave the stat tuple unchanged, so such a file is hashed again next time.
        if FileSystem.identity(ofFileAt: path) == identity, identity.mtimeNanoseconds < hashStarted - Self.racyWindowNanoseconds,
           identity.ctimeNanoseconds < hashStarted - Self.racyWindowNanoseconds {
            remember(path, identity, digest)
        }
        return (digest, size)
    }

    /// A file changed this close to its hash is not remembered: two seconds covers the coarsest
    /// timestamps in use (FAT, some network filesystems) as well as the kernel's coarse clock.
    static let racyWindowNanoseconds: Int64 = 2_000_000_000

    static func nowNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
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
        guard let entries = snapshot else { return }
        var text = ""
        for path in entries.keys.sorted() where FileSystem.exists(path) && !path.contains("\n") {
            let entry = entries[path]!, id = entry.identity
            text += "\(id.device) \(id.inode) \(id.size) \(id.mtimeNanoseconds) \(id.ctimeNanoseconds) \(entry.digest) \(path)\n"
        }
        try FileSystem.writeAtomically(Data(text.utf8), to: url)
    }
}
