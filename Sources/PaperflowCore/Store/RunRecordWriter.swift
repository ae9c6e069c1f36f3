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
public final class RunRecordWriter: Sendable {
    /// The record's file.
    public let url: URL
    private let descriptor: Mutex<Int32>

    /// Creates the record and writes its header.
    public init(url: URL, header: RunHeader) throws {
        self.url = url
        try FileSystem.makeDirectory(url.deletingLastPathComponent())
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot create run record \(url.path)", errno) }
        descriptor = Mutex(fd)
        try appendLine(header)
    }

    deinit {
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
        }
    }

    /// Appends a stage's line.
    public func append(_ record: StageRecord) throws { try appendLine(Data(record.jsonLine + [UInt8(ascii: "\n")])) }

    /// Appends the footer and closes the file.
    public func finish(_ footer: RunFooter) throws {
        try appendLine(footer)
        descriptor.withLock { fd in
            close(fd)
            fd = -1
        }
    }

    private func appendLine<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(value)
        line.append(UInt8(ascii: "\n"))
        try appendLine(line)
    }

    private func appendLine(_ line: Data) throws {
        try descriptor.withLock { fd in
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            guard written == line.count else { throw StoreError.io("cannot append to \(url.path)", errno) }
        }
    }
}
