import PaperflowCLI
#if canImport(Glibc)
import Glibc

// Model fits allocate and free arrays of tens of megabytes on every pass. glibc serves
// allocations above its mmap threshold (at most 32 MiB) with fresh mappings, which the kernel
// zeroes page by page — 10% of a 5M-row probit's time went to `clear_page_rep`. Keep them in the
// heap, and freed memory for reuse. `mallopt` is not in Swift's Glibc module (malloc.h), so it
// is looked up; the constants are malloc.h's M_TRIM_THRESHOLD (−1) and M_MMAP_THRESHOLD (−3).
if let mallopt = dlsym(dlopen(nil, RTLD_NOW), "mallopt") {
    let set = unsafeBitCast(mallopt, to: (@convention(c) (Int32, Int32) -> Int32).self)
    _ = set(-3, 1 << 30)
    _ = set(-1, 1 << 30)
}
#endif

bootstrapLogging()
PaperflowCommand.main()
