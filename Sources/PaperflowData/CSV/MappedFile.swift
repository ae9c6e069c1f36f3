#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory, for parsing straight from its bytes.
///
/// A reader gives back pages it has finished with (`release`), so a file larger than memory can
/// be read and the process's resident size stays near the size of the table it builds rather
/// than table plus file. (The pages stay in the kernel's page cache; touching them again maps
/// them back.)
final class MappedFile {
    let bytes: UnsafeRawBufferPointer
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Why a file could not be mapped, in words.
    struct OpenError: Error {
        var reason: String
    }

    /// Maps the file at `path`.
    /// - Throws: `OpenError` when it cannot be opened or mapped.
    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OpenError(reason: "cannot open the file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw OpenError(reason: "cannot read the file's size: \(String(cString: strerror(errno)))") }
        let size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED else {
            throw OpenError(reason: "cannot map the file: \(String(cString: strerror(errno)))")
        }
        _ = madvise(mapping, size, MADV_SEQUENTIAL)
        bytes = UnsafeRawBufferPointer(start: mapping, count: size)
    }

    /// Maps the pages of `range` in one call (MADV_POPULATE_READ, Linux 5.14+) instead of one
    /// page fault at a time; a kernel without it ignores the advice.
    func prefault(_ range: Range<Int>) {
        #if os(Linux)
        guard let base = bytes.baseAddress else { return }
        let start = range.lowerBound / pageSize * pageSize
        let populateRead: Int32 = 22
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, populateRead)
        #endif
    }

    /// Drops the whole pages inside `range` from this process's memory.
    func release(_ range: Range<Int>) {
        // Never past the mapping: the advice would discard another mapping's pages.
        guard let base = bytes.baseAddress, range.lowerBound < range.upperBound else { return }
        let range = range.clamped(to: 0..<bytes.count)
        let start = (range.lowerBound + pageSize - 1) / pageSize * pageSize
        let end = range.upperBound == bytes.count ? range.upperBound : range.upperBound / pageSize * pageSize
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
