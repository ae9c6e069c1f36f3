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
final class Console: Sendable {
    static let shared = Console()

    private let lock = Mutex(())
    let stdoutIsTerminal = isatty(STDOUT_FILENO) != 0
    let stderrIsTerminal = isatty(STDERR_FILENO) != 0

    func out(_ text: String) { write(text + "\n", to: STDOUT_FILENO) }
    func err(_ text: String) { write(text + "\n", to: STDERR_FILENO) }

    /// Writes raw text (no newline) to stdout.
    func raw(_ text: String) { write(text, to: STDOUT_FILENO) }

    func write(_ text: String, to descriptor: Int32) {
        lock.withLock { _ in
            var bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { systemWrite(descriptor, $0.baseAddress! + offset, $0.count - offset) }
                if written <= 0 { if errno == EINTR { continue }; return }
                offset += written
            }
        }
    }

    /// Prints diagnostics clang-style to stderr, then a count.
    func printDiagnostics(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics { err(diagnostic.rendered(color: stderrIsTerminal)) }
        let errors = diagnostics.filter { $0.severity == .error }.count
        err("\(errors) error\(errors == 1 ? "" : "s") found; nothing was run")
    }
}
