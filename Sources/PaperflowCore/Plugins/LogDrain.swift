import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Copies a child's output from a pipe into its log file on a thread of its own, in 64 KiB
/// reads: the first `head` bytes as they come, then only the last `tail` bytes (a ring in
/// memory), written after a line that says how much was left out. Memory is bounded by `tail`
/// whatever the child prints.
final class LogDrain: Sendable {
    private let fd: Int32
    private let done = DispatchSemaphore(value: 0)
    private let finished = Atomic<Bool>(false)
    private let stop = CancellationFlag()

    /// Starts draining `fd` (which it owns and closes) into `url` (truncated first).
    init(reading fd: Int32, into url: URL, head: Int, tail: Int) throws {
        self.fd = fd
        let out = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw StageFailure("cannot create the log \(url.path): \(String(cString: strerror(errno)))") }
        let thread = Thread { [done, stop] in
            Self.copy(from: fd, to: out, head: head, tail: tail, stop: stop)
            close(out)
            done.signal()
        }
        thread.start()
    }

    /// Waits up to `seconds` for the child's output to end, then stops reading.
    func finish(waiting seconds: Double) {
        guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if done.wait(timeout: .now() + seconds) == .timedOut {
            // Something outside the child's group still holds the pipe open: stop reading.
            stop.cancel()
            done.wait()
        }
        close(fd)
    }

    private static func copy(from fd: Int32, to out: Int32, head: Int, tail: Int, stop: CancellationFlag) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var written = 0
        var ring = [UInt8](repeating: 0, count: tail)
        var ringStart = 0, ringCount = 0
        var dropped: Int64 = 0
        while true {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, 100)
            if polled < 0, errno == EINTR { continue }
            if polled == 0 {
                if stop.isCancelled { break }
                continue
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            var offset = 0
            if written < head {
                let take = min(count, head - written)
                buffer.withUnsafeBytes { _ = try? FileSystem.writeAll(out, UnsafeRawBufferPointer(rebasing: $0[0..<take]), what: "log") }
                written += take
                offset = take
            }
            // Past the head: keep the newest `tail` bytes (whole-block copies into the ring).
            var rest = buffer[offset..<count]
            while !rest.isEmpty, tail > 0 {
                let slot = (ringStart + ringCount) % tail
                let take = min(rest.count, tail - slot)
                ring.replaceSubrange(slot..<(slot + take), with: rest.prefix(take))
                rest = rest.dropFirst(take)
                let overflow = max(0, ringCount + take - tail)
                ringCount = min(tail, ringCount + take)
                ringStart = (ringStart + overflow) % tail
                dropped += Int64(overflow)
            }
        }
        guard ringCount > 0 else { return }
        let note = dropped > 0 ? "\n[paperflow: \(dropped) bytes of output not kept; the last \(ringCount) follow]\n" : ""
        let ordered = Array(ring[ringStart..<min(tail, ringStart + ringCount)]) + Array(ring[0..<max(0, ringStart + ringCount - tail)])
        _ = try? Array(note.utf8).withUnsafeBytes { try FileSystem.writeAll(out, $0, what: "log") }
        _ = try? ordered.withUnsafeBytes { try FileSystem.writeAll(out, $0, what: "log") }
    }
}
