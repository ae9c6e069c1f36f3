import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a child process (the `shell` stage, external plugins) in its own process group, with
/// stdout and stderr going to a log file, and kills the whole group on cancellation or timeout.
public enum ChildProcess {
    /// How a child ended.
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut(seconds: Double)
        case cancelled
    }

    /// Process groups of running children, so an interrupt can stop them all.
    private static let running = Mutex<Set<pid_t>>([])

    /// Sends `signal` to every running child's process group (used by the Ctrl-C handler).
    public static func signalAll(_ signal: Int32) {
        for group in running.withLock({ $0 }) { kill(-group, signal) }
    }

    /// Runs `arguments[0]` with `arguments`, waiting for it to end.
    /// - Parameters:
    ///   - directory: the working directory.
    ///   - environment: added to (and overriding) the inherited environment.
    ///   - inherited: the names of the variables inherited from Paperflow's environment (`nil`: all).
    ///   - log: receives stdout and stderr (truncated first).
    ///   - timeout: seconds after which the group is killed.
    /// - Throws: `StageFailure` when the process cannot be started.
    public static func run(_ arguments: [String], directory: URL, environment: [String: String] = [:],
                           inherited: Set<String>? = nil, log: URL,
                           timeout: Double? = nil, cancellation: CancellationFlag) throws -> Termination {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        var arguments = arguments
        if let addChdir = Self.addChdir {
            _ = directory.path.withCString { addChdir(&fileActions, $0) }
        } else {
            arguments = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path] + arguments
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP] { sigaddset(&defaults, signal) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var merged = ProcessInfo.processInfo.environment
        if let inherited { merged = merged.filter { inherited.contains($0.key) } }
        for (key, value) in environment { merged[key] = value }
        let environmentStrings = merged.map { "\($0.key)=\($0.value)" }

        var pid: pid_t = 0
        let status = withCStrings(arguments) { argv in
            withCStrings(environmentStrings) { envp in
                posix_spawn(&pid, arguments[0], &fileActions, &attributes, argv, envp)
            }
        }
        guard status == 0 else {
            throw StageFailure("cannot start '\(arguments[0])': \(String(cString: strerror(status)))")
        }
        running.withLock { _ = $0.insert(pid) }
        defer { running.withLock { _ = $0.remove(pid) } }
        if cancellation.isCancelled { kill(-pid, SIGTERM) }

        let timedOut = Atomic<Bool>(false)
        var timer: DispatchSourceTimer?
        if let timeout {
            let source = DispatchSource.makeTimerSource(queue: .global())
            source.schedule(deadline: .now() + timeout)
            source.setEventHandler {
                timedOut.store(true, ordering: .releasing)
                kill(-pid, SIGKILL)
            }
            source.resume()
            timer = source
        }
        // Wait for the exit without reaping, so the process group's id cannot be reused before
        // we stop what the command left running in it; then reap.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 {
            if errno != EINTR { break }
        }
        timer?.cancel()
        kill(-pid, SIGKILL)
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 {
            if errno != EINTR { break }
        }

        if timedOut.load(ordering: .acquiring), let timeout { return .timedOut(seconds: timeout) }
        if cancellation.isCancelled { return .cancelled }
        let lowBits = waitStatus & 0x7F
        if lowBits == 0 { return .exited((waitStatus >> 8) & 0xFF) }
        return .signalled(lowBits)
    }

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift's Glibc module does
    /// not import; looked up once. Without it the child changes directory through `/bin/sh`.
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let addChdir: AddChdir? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()

    /// The last `lines` lines of a log file, for failure messages.
    public static func tail(of log: URL, lines: Int = 20) -> String {
        guard let data = try? Data(contentsOf: log) else { return "" }
        let text = String(decoding: data.suffix(16_384), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}
