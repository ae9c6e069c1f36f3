import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who holds the store lock.
public struct StoreLockHolder: Sendable, Codable, CustomStringConvertible {
    public var pid: Int32
    public var host: String
    public var command: String
    public var since: Double

    public var description: String {
        let date = Date(timeIntervalSince1970: since)
        return "pid \(pid) on \(host) ('\(command)', since \(ISO8601DateFormatter().string(from: date)))"
    }
}

/// The exclusive lock that keeps two `paperflow run`s from writing one store at once.
///
/// An advisory `flock` on `Artifacts/lock`: the kernel releases it when the holder exits, even by
/// SIGKILL, so a crashed run never leaves a stale lock. The holder writes who it is beside it,
/// so a second run can say whom it is waiting for. The descriptor is close-on-exec: a stage's
/// child process must not inherit the lock, or an orphan of a killed run would keep holding it.
public final class StoreLock: Sendable {
    private let descriptor: Int32
    private let holderURL: URL

    /// Takes the lock.
    /// - Parameters:
    ///   - wait: wait for the holder to finish (`true`) or fail at once (`false`).
    ///   - onContention: called once, with the holder, when the lock is taken by someone else.
    /// - Throws: `StoreError.lockHeld` when not waiting and the lock is taken.
    public init(store: URL, command: String, wait: Bool, onContention: (StoreLockHolder?) -> Void = { _ in }) throws {
        let lockURL = store.appendingPathComponent("lock")
        holderURL = store.appendingPathComponent("lock-holder.json")
        try FileSystem.makeDirectory(store)
        let fd = open(lockURL.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot open \(lockURL.path)", errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = Self.readHolder(holderURL)
            guard wait else {
                close(fd)
                throw StoreError.lockHeld(holder ?? StoreLockHolder(pid: 0, host: "?", command: "?", since: 0), store.path)
            }
            onContention(holder)
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let code = errno
                    close(fd)
                    throw StoreError.io("cannot lock \(lockURL.path)", code)
                }
            }
        }
        descriptor = fd
        let holder = StoreLockHolder(pid: getpid(), host: FileSystem.hostName, command: command,
                                     since: Date().timeIntervalSince1970)
        try? FileSystem.writeAtomically(try JSONEncoder().encode(holder), to: holderURL)
    }

    /// Releases the lock.
    deinit {
        unlink(holderURL.path)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    static func readHolder(_ url: URL) -> StoreLockHolder? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(StoreLockHolder.self, from: data)
    }
}
