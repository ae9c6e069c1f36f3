import Foundation
import PaperflowCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// Where the command line writes: stdout for results, stderr for diagnostics; colour only on a
/// terminal. All writes go through one lock so lines from worker threads never interleave.
///
/// Stdout to a pipe or file is block-buffered, as C's stdio does it: a 500-stage no-op printed
/// its "cached" lines with 500 write(2)s, each waking the reader of the pipe. The buffer is
/// flushed before anything goes to stderr (so the two keep their order in a merged log), when
/// a stage starts (so a CI log shows what is running), at 16 KiB, and at exit.
final class Console: Sendable {
    static let shared = Console()

    private let state = Mutex<[UInt8]>([])
    let stdoutIsTerminal = isatty(STDOUT_FILENO) != 0
    let stderrIsTerminal = isatty(STDERR_FILENO) != 0

    private static let bufferLimit = 16 * 1024

    init() {
        atexit { Console.shared.flush() }
    }

    func out(_ text: String) { write(text + "\n", to: STDOUT_FILENO) }
    func err(_ text: String) { write(text + "\n", to: STDERR_FILENO) }

    /// Writes raw text (no newline) to stdout.
    func raw(_ text: String) { write(text, to: STDOUT_FILENO) }

    func write(_ text: String, to descriptor: Int32) {
        state.withLock { pending in
            if descriptor == STDOUT_FILENO, !stdoutIsTerminal {
                pending.append(contentsOf: text.utf8)
                if pending.count >= Self.bufferLimit { Self.writeAll(&pending, to: STDOUT_FILENO) }
                return
            }
            if !pending.isEmpty { Self.writeAll(&pending, to: STDOUT_FILENO) }
            var bytes = Array(text.utf8)
            Self.writeAll(&bytes, to: descriptor)
        }
    }

    /// Writes out what stdout holds.
    func flush() {
        state.withLock { pending in
            if !pending.isEmpty { Self.writeAll(&pending, to: STDOUT_FILENO) }
        }
    }

    /// Writes every byte (retrying short writes and EINTR) and empties `bytes`.
    private static func writeAll(_ bytes: inout [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { systemWrite(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { if errno == EINTR { continue }; break }
            offset += written
        }
        bytes.removeAll(keepingCapacity: true)
    }

    /// Prints diagnostics clang-style to stderr.
    func printFindings(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics { err(diagnostic.rendered(color: stderrIsTerminal)) }
    }

    /// Prints diagnostics clang-style to stderr, then a count.
    func printDiagnostics(_ diagnostics: [Diagnostic]) {
        printFindings(diagnostics)
        let errors = diagnostics.filter { $0.severity == .error }.count
        err("\(errors) error\(errors == 1 ? "" : "s") found; nothing was run")
    }
}
