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
    /// - Throws: `StoreError.io` when it cannot be read.
    public static func digest(ofFileAt path: String) throws -> (digest: Digest, size: Int64) {
        // Hash a memory-mapped file in place: no copy from the page cache into a buffer (the
        // copy costs about a tenth of the time at SHA-NI speeds). Fall back to reading.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("cannot open '\(path)'", errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw StoreError.io("cannot stat '\(path)'", errno) }
        let size = Int(info.st_size)
        guard size > 0, let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED else {
            return try stream(path, copyingTo: nil)
        }
        defer { munmap(mapping, size) }
        #if canImport(Glibc)
        _ = madvise(mapping, size, MADV_SEQUENTIAL)
        #endif
        var hasher = SHA256()
        var offset = 0
        while offset < size {
            let length = min(blockSize * 16, size - offset)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: mapping + offset, count: length))
            offset += length
        }
        return (Digest(bytes: hasher.finalize()), Int64(size))
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
        return (Digest(bytes: hasher.finalize()), total)
    }
}
