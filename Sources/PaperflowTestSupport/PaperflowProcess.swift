import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real `paperflow` executable run as a child process, for tests of what only a process
/// shows: exit codes, signals, two runs on one store — or another program a test runs. Spawned
/// with posix_spawn and reaped with waitpid (Foundation's Process does not reliably reap its
/// children on Linux: one killed by SIGKILL, or `.ci/start-slurm` once it had started the
/// cluster's daemons, stayed "running" as a zombie and the test waited for it for ever).
public final class PaperflowProcess: Sendable {
    /// The child's process id.
    public let pid: pid_t
    /// Where its stdout goes.
    public let stdoutURL: URL
    /// Where its stderr goes.
    public let stderrURL: URL

    /// Starts `paperflow ARGUMENTS` in `directory`, with stdout and stderr going to files and
    /// `extra` added to the environment.
    public convenience init(_ arguments: [String], in directory: URL, environment extra: [String: String] = [:]) throws {
        try self.init(executable: Fixtures.paperflowExecutable.path, arguments, in: directory, environment: extra)
    }

    /// Starts `executable ARGUMENTS` in `directory` (another program than paperflow: a tool a
    /// test runs), stdout and stderr going to files — or both to the stdout file, interleaved,
    /// with `mergingErrors`.
    public init(executable: String, _ arguments: [String], in directory: URL, environment extra: [String: String] = [:],
                mergingErrors: Bool = false) throws {
        let id = UUID().uuidString
        stdoutURL = FileManager.default.temporaryDirectory.appendingPathComponent("pf-\(id).out")
        stderrURL = FileManager.default.temporaryDirectory.appendingPathComponent("pf-\(id).err")
        // `cd DIR && exec EXECUTABLE ARGS`, so the child starts in the project.
        let script = "cd \"$0\" && exec \"$@\" >\"$OUT\" \(mergingErrors ? "2>&1" : "2>\"$ERR\"") </dev/null"
        let argv = ["/bin/sh", "-c", script, directory.path, executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OUT"] = stdoutURL.path
        environment["ERR"] = stderrURL.path
        environment.merge(extra) { _, new in new }
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var child: pid_t = 0
        let status = Self.withCStrings(argv) { cargv in
            Self.withCStrings(envp) { cenvp in posix_spawn(&child, "/bin/sh", nil, nil, cargv, cenvp) }
        }
        guard status == 0 else { throw CocoaError(.executableLoad) }
        pid = child
        // Wait until the shell has exec'ed the program (the output files exist), so signals reach it.
        let last = mergingErrors ? stdoutURL : stderrURL
        _ = Self.waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: last.path) }
    }

    /// Runs to completion and returns (exit status, stdout, stderr); a run that takes longer
    /// than `timeout` seconds is killed and reported as status -1, so a hang fails the test.
    public static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                           timeout: Double = 120) throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try PaperflowProcess(arguments, in: directory, environment: environment)
        let status = child.wait(timeout: timeout)
        return (status, child.stdout, child.stderr)
    }

    /// Everything written to stdout so far.
    public var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

    /// Everything written to stderr so far.
    public var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Waits (polling, up to `timeout` seconds) until `condition` holds; false on timeout.
    @discardableResult
    public static func waitUntil(timeout: Double = 30, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Sends `signal` to the process.
    public func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the exit: the exit status, or the signal number for a killed process; after
    /// `timeout` seconds the process is killed and -1 returned.
    public func wait(timeout: Double = 120) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0 && errno != EINTR { return -1 }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return -1
            }
            usleep(5_000)
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : signal
    }

    deinit {
        try? FileManager.default.removeItem(at: stdoutURL)
        try? FileManager.default.removeItem(at: stderrURL)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}
