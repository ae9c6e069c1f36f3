#if canImport(Glibc)
import Glibc
#endif

/// Advice to the kernel about large buffers a table is built in. On this project's targets
/// (virtual machines with two cores) a page fault per 4 KiB page costs more than filling the
/// page: a 500 MB table is 120,000 faults. Both calls are hints; a kernel without them (or
/// another system) ignores them and the buffers work the same.
enum PageAdvice {
    /// Back the buffer with 2 MiB pages where the system leaves transparent huge pages to
    /// `madvise`.
    static func hugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        let huge = 2 << 20
        guard let base = buffer.baseAddress, buffer.count >= 2 * huge else { return }
        let start = (Int(bitPattern: base) + huge - 1) / huge * huge
        let end = (Int(bitPattern: base) + buffer.count) / huge * huge
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
        #endif
    }

    /// Map the buffer's whole pages now, in one call (MADV_POPULATE_WRITE, Linux 5.14+), rather
    /// than one fault at a time as it is written.
    static func populate(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        let page = 4096
        guard let base = buffer.baseAddress else { return }
        let start = (Int(bitPattern: base) + page - 1) / page * page
        let end = (Int(bitPattern: base) + buffer.count) / page * page
        let populateWrite: Int32 = 23
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, populateWrite) }
        #endif
    }
}
