import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 of files and bytes, streamed in large blocks (swift-crypto: about 1.5 GB/s here).
public enum ContentHasher {
    /// Block size for streaming reads: large enough that syscalls do not matter.
    static let blockSize = 4 << 20

    /// The digest of `data`.
    public static func digest(of data: Data) -> Digest {
        Digest(bytes: SHA256.hash(data: data))
    }

    /// The digest and size of the file at `path`.
    ///
    /// Read with `read(2)`, never mapped: a mapped file that someone truncates while it is hashed
    /// kills the process with SIGBUS, where a read just ends early — and a file whose length is
    /// not what it was when opened is reported as changed, naming it.
    /// - Throws: `StoreError.io` when it cannot be read, `StoreError.inputChangedWhileReading`
    ///   when it was truncated or extended during the read.
    public static func digest(ofFileAt path: String) throws -> (digest: Digest, size: Int64) {
        try stream(path, copyingTo: nil)
    }

    /// The digest of a folder: the sorted relative paths of its regular files with their
    /// executable bits and digests (from `fileDigest`), and its symbolic links with their
    /// targets (never followed). Dot-files and `__pycache__` are left out.
    /// - Throws: `StoreError.io` when an entry cannot be read.
    public static func treeDigest(_ folder: URL, fileDigest: (String) throws -> Digest) throws -> Digest {
        var lines: [String] = []
        func walk(_ url: URL, _ relative: String) throws {
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
            where !name.hasPrefix(".") && name != "__pycache__" {
                let path = url.appendingPathComponent(name).path
                let entry = relative.isEmpty ? name : "\(relative)/\(name)"
                var info = stat()
                guard lstat(path, &info) == 0 else { throw StoreError.io("cannot stat '\(path)'", errno) }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: try walk(URL(fileURLWithPath: path, isDirectory: true), entry)
                case S_IFLNK: lines.append("link \(entry) \(try FileManager.default.destinationOfSymbolicLink(atPath: path))")
                case S_IFREG:
                    let executable = info.st_mode & S_IXUSR != 0 ? "x" : "-"
                    lines.append("file \(entry) \(executable) \(try fileDigest(path))")
                default: continue
                }
            }
        }
        try walk(folder, "")
        return digest(of: Data(lines.joined(separator: "\n").utf8))
    }

    /// Reads `path` once, hashing it and (when `destination` is an open descriptor) writing the
    /// same bytes there, so a file enters the store with one read.
    static func stream(_ path: String, copyingTo destination: Int32?) throws -> (digest: Digest, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("cannot open '\(path)'", errno) }
        defer { close(fd) }
        #if canImport(Glibc)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw StoreError.io("cannot stat '\(path)'", errno) }
        var hasher = SHA256()
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress!, blockSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("cannot read '\(path)'", errno)
            }
            if count == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: chunk)
            if let destination { try FileSystem.writeAll(destination, chunk, what: "cannot write a copy of '\(path)'") }
            total += Int64(count)
        }
        guard total == Int64(info.st_size), fstat(fd, &info) == 0, total == Int64(info.st_size) else {
            throw StoreError.inputChangedWhileReading(path)
        }
        return (Digest(bytes: hasher.finalize()), total)
    }
}
