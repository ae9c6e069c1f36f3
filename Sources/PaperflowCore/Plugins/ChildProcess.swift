import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a child process (the `shell` stage, external plugins) in its own process group, with
/// stdout and stderr streamed to a capped log file, and stops the whole group on cancellation
/// (SIGTERM, then SIGKILL after `killGrace` seconds) or timeout (SIGKILL).
public enum ChildProcess {
    /// Seconds a cancelled child has between SIGTERM and SIGKILL.
    public static let killGrace = 3.0
    /// Bytes of a child's output kept from its start; past them only the last `logTailBytes` are
    /// kept (in memory, then appended), so a command that prints gigabytes costs neither memory
    /// nor disk.
    public static let logHeadBytes = 64 << 20
    public static let logTailBytes = 1 << 20

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
        // Output goes through a pipe that a drain copies into the log, up to its cap.
        var pipeEnds: [Int32] = [-1, -1]
        guard makePipe(&pipeEnds) == 0 else { throw StageFailure("cannot create a pipe: \(String(cString: strerror(errno)))") }
        let drain: LogDrain
        do {
            drain = try LogDrain(reading: pipeEnds[0], into: log, head: logHeadBytes, tail: logTailBytes)
        } catch {
            close(pipeEnds[0]); close(pipeEnds[1])
            throw error
        }
        posix_spawn_file_actions_adddup2(&fileActions, pipeEnds[1], 1)
        posix_spawn_file_actions_adddup2(&fileActions, pipeEnds[1], 2)
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
        close(pipeEnds[1])
        guard status == 0 else {
            drain.finish(waiting: 0)
            throw StageFailure("cannot start '\(arguments[0])': \(String(cString: strerror(status)))")
        }
        running.withLock { _ = $0.insert(pid) }
        defer { running.withLock { _ = $0.remove(pid) } }

        // Cancellation: SIGTERM to the group, SIGKILL after the grace period — a child that
        // ignores SIGTERM cannot keep the run waiting.
        let exited = Atomic<Bool>(false)
        let watcher = DispatchSource.makeTimerSource(queue: .global())
        let terminatedAt = Mutex<Date?>(nil)
        watcher.schedule(deadline: .now(), repeating: .milliseconds(50))
        watcher.setEventHandler {
            guard cancellation.isCancelled, !exited.load(ordering: .acquiring) else { return }
            let sent = terminatedAt.withLock { when -> Date in
                if when == nil { when = Date(); kill(-pid, SIGTERM) }
                return when!
            }
            if Date().timeIntervalSince(sent) >= killGrace { kill(-pid, SIGKILL) }
        }
        watcher.resume()
        defer { watcher.cancel() }

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
        exited.store(true, ordering: .releasing)
        timer?.cancel()
        kill(-pid, SIGKILL)
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 {
            if errno != EINTR { break }
        }
        // The group is gone; a process that left it and kept the pipe open is not waited for long.
        drain.finish(waiting: 2)

        if timedOut.load(ordering: .acquiring), let timeout { return .timedOut(seconds: timeout) }
        if cancellation.isCancelled { return .cancelled }
        let lowBits = waitStatus & 0x7F
        if lowBits == 0 { return .exited((waitStatus >> 8) & 0xFF) }
        return .signalled(lowBits)
    }

    /// A close-on-exec pipe, made atomically with `pipe2` (looked up: Swift's Glibc module does not
    /// import it) so that a child another thread spawns meanwhile cannot inherit it.
    private static func makePipe(_ ends: inout [Int32]) -> Int32 {
        if let pipe2 = pipe2Function { return ends.withUnsafeMutableBufferPointer { pipe2($0.baseAddress!, O_CLOEXEC) } }
        guard pipe(&ends) == 0 else { return -1 }
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private static let pipe2Function: Pipe2? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2") else { return nil }
        return unsafeBitCast(symbol, to: Pipe2.self)
    }()

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift's Glibc module does
    /// not import; looked up once. Without it the child changes directory through `/bin/sh`.
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let addChdir: AddChdir? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()

    /// The last `lines` lines of a log file, for failure messages: read from its end (never the
    /// whole file), at most 16 KiB.
    public static func tail(of log: URL, lines: Int = 20) -> String {
        guard let handle = try? FileHandle(forReadingFrom: log) else { return "" }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd() else { return "" }
        try? handle.seek(toOffset: end > 16_384 ? end - 16_384 : 0)
        guard let data = try? handle.readToEnd() else { return "" }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}
