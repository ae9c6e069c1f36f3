import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends one JSON line per stage to `Artifacts/runs/<run id>.jsonl` as stages end.
///
/// Appending keeps bookkeeping linear in the number of stages (DVC rewrites its whole lock file
/// after every stage, which makes long pipelines quadratic). Each line is a single `write` with
/// `O_APPEND`, so a killed run leaves at most one torn last line, which readers skip.
///
/// Lines of cached stages are held back and written together (a 500-stage no-op made 500
/// writes): with the next line of any other kind, at 64 KiB, and at the end. A run killed in
/// the middle of a burst of cache hits loses those lines only; what ran is always on disk.
public final class RunRecordWriter: Sendable {
    /// The record's file.
    public let url: URL
    private let descriptor: Mutex<(fd: Int32, pending: Data)>
    private static let pendingLimit = 64 * 1024

    /// Creates the record and writes its header.
    public init(url: URL, header: RunHeader) throws {
        self.url = url
        try FileSystem.makeDirectory(url.deletingLastPathComponent())
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot create run record \(url.path)", errno) }
        descriptor = Mutex((fd, Data()))
        try appendLine(header)
    }

    deinit {
        descriptor.withLock { state in
            if state.fd >= 0 {
                if !state.pending.isEmpty { _ = state.pending.withUnsafeBytes { write(state.fd, $0.baseAddress!, $0.count) } }
                close(state.fd)
            }
        }
    }

    /// Appends a stage's line (a cached stage's may wait for the next write).
    public func append(_ record: StageRecord) throws {
        let line = Data(record.jsonLine + [UInt8(ascii: "\n")])
        if record.status == .cached {
            let full = descriptor.withLock { state in
                state.pending.append(line)
                return state.pending.count >= Self.pendingLimit
            }
            if full { try appendLine(Data()) }
            return
        }
        try appendLine(line)
    }

    /// Appends lines as they are (stage lines of an earlier record, each ending in a newline).
    public func appendRaw(_ lines: Data) throws { try appendLine(lines) }

    /// Appends the footer and closes the file.
    public func finish(_ footer: RunFooter) throws {
        try appendLine(footer)
        descriptor.withLock { state in
            close(state.fd)
            state.fd = -1
        }
    }

    private func appendLine<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(value)
        line.append(UInt8(ascii: "\n"))
        try appendLine(line)
    }

    /// Writes the held-back lines and `line` in one write.
    private func appendLine(_ line: Data) throws {
        try descriptor.withLock { state in
            var bytes = state.pending
            state.pending = Data()
            bytes.append(line)
            guard !bytes.isEmpty else { return }
            let written = bytes.withUnsafeBytes { write(state.fd, $0.baseAddress!, $0.count) }
            guard written == bytes.count else { throw StoreError.io("cannot append to \(url.path)", errno) }
        }
    }
}
