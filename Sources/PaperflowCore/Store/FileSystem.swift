import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stat tuple that identifies a file's content without reading it: if none of these change,
/// the bytes have not changed (a write updates mtime and ctime; a replacement changes the inode).
public struct FileIdentity: Sendable, Hashable, Codable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mtimeNanoseconds: Int64
    public var ctimeNanoseconds: Int64
}

/// Small POSIX helpers the store needs and Foundation does not offer directly.
public enum FileSystem {
    /// The stat tuple of a regular file, or `nil` if it does not exist or is not a regular file.
    public static func identity(ofFileAt path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let (mtime, ctime) = times(info)
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                            mtimeNanoseconds: mtime, ctimeNanoseconds: ctime)
    }

    /// A stat's modification and change times in nanoseconds.
    public static func times(_ info: stat) -> (mtime: Int64, ctime: Int64) {
        #if canImport(Darwin)
        return (Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec),
                Int64(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(info.st_ctimespec.tv_nsec))
        #else
        return (Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec))
        #endif
    }

    /// Whether `path` is a directory (not a link to one).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether anything (file, directory, link) exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Creates `url` and its parents if missing.
    public static func makeDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `data` to `url` atomically: a temporary file in the same directory, then rename.
    /// A killed process leaves either the old file or the new one, never a torn one.
    public static func writeAtomically(_ data: Data, to url: URL, permissions: mode_t = 0o644) throws {
        let directory = url.deletingLastPathComponent()
        try makeDirectory(directory)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw StoreError.io("cannot create \(temporary.path)", errno) }
        do {
            defer { close(fd) }
            try data.withUnsafeBytes { try writeAll(fd, $0, what: "cannot write \(url.path)") }
        } catch {
            unlink(temporary.path)
            throw error
        }
        guard rename(temporary.path, url.path) == 0 else {
            let renameErrno = errno
            unlink(temporary.path)
            throw StoreError.io("cannot rename into \(url.path)", renameErrno)
        }
    }

    /// Writes all of `bytes` to `fd`, retrying short and interrupted writes.
    /// - Throws: `StoreError.io` with `what` and the system's reason.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, what: @autoclosure () -> String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw StoreError.io(what(), written < 0 ? errno : EIO) }
            offset += written
        }
    }

    /// Removes `path` and everything below it without ever following a symbolic link: a link
    /// is removed as a link (its target untouched), and only real directories below `path` are
    /// opened, each with `O_NOFOLLOW`, and made writable (by `fchmod` on that open directory)
    /// so that read-only blobs and folders can go. Nothing outside the tree changes mode.
    /// - Returns: whether the tree is gone.
    @discardableResult
    public static func removeTree(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return errno == ENOENT }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return unlink(path) == 0 }
        let parent = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
                          O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else { return false }
        defer { close(parent) }
        return removeEntry(in: parent, name: (path as NSString).lastPathComponent)
    }

    /// Removes the entry `name` of the open directory `directory`, recursively, never following links.
    private static func removeEntry(in directory: Int32, name: String) -> Bool {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return errno == ENOENT }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return unlinkat(directory, name, 0) == 0 }
        let fd = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        // This directory itself (open, not a link): writable so its entries can be removed.
        fchmod(fd, 0o700)
        var names: [String] = []
        if let stream = fdopendir(dup(fd)) {
            while let entry = readdir(stream) {
                let child = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if child != ".", child != ".." { names.append(child) }
            }
            closedir(stream)
        }
        var ok = true
        for child in names where !removeEntry(in: fd, name: child) { ok = false }
        close(fd)
        return unlinkat(directory, name, AT_REMOVEDIR) == 0 && ok
    }

    /// This machine's host name, for run records and the lock holder (never for keys).
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Errors of the artifact store.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case io(String, Int32)
    case lockHeld(StoreLockHolder, String)
    case corruptRecord(String, String)
    case inputChangedWhileReading(String)
    case notRegularFile(String, String)
    case refusedExport(String, String)

    public var description: String {
        switch self {
        case let .io(what, code): return "\(what): \(String(cString: strerror(code)))"
        case let .lockHeld(holder, path):
            return "the artifact store \(path) is locked by \(holder); wait for it to finish and try again "
                + "('paperflow run' waits by itself unless given --no-wait)"
        case let .corruptRecord(path, problem): return "unreadable record \(path): \(problem); run 'paperflow cache verify --repair'"
        case let .inputChangedWhileReading(path): return "file '\(path)' changed while it was being read; run again"
        case let .refusedExport(path, why): return "refusing to export to '\(path)': \(why)"
        case let .notRegularFile(path, what): return "\(path) is \(what): stage outputs must be regular files"
        }
    }
}
