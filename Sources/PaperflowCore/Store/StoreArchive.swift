import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `paperflow cache export` / `import`: the blobs and action records that lock files reference,
/// as one POSIX tar (ustar) file — what a CI cache step saves and restores, and what `tar tf`
/// lists.
///
/// ```
/// cas/ab/<hex>        every output blob of every stage in the locks (first)
/// actions/ab/<hex>    each stage's action record (after its blobs)
/// ```
/// Import verifies every blob against its name while copying it and enters it by rename; a
/// record enters only when every blob it names is in the store. An archive cut short or
/// tampered with therefore leaves the store as it was plus whatever arrived whole and verified.
public enum StoreArchive {
    /// What an export wrote.
    public struct ExportReport: Sendable, Equatable {
        public var blobs = 0, actions = 0
        public var bytes: Int64 = 0
        /// Stages of the locks whose outputs are not in this store (left out; their runs recompute).
        public var missing: [String] = []
        /// Stages marked confidential: left out, their outputs never leave this machine.
        public var confidential: [String] = []
    }

    /// What an import did.
    public struct ImportReport: Sendable, Equatable {
        public var blobsAdded = 0, blobsPresent = 0, actions = 0
        public var bytes: Int64 = 0
        /// Entries refused, each with the reason.
        public var rejected: [String] = []
    }

    /// An archive that cannot be read as a tar of a store.
    public struct ArchiveError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    static let block = 512

    // MARK: Export

    /// Writes the blobs and action records of `locks` to `url` (atomically: a temporary file
    /// renamed into place).
    public static func export(_ store: ArtifactStore, locks: [WorkflowLock], to url: URL) throws -> ExportReport {
        var report = ExportReport()
        var blobs: [Digest: Int64] = [:], actions: [Digest] = []
        let secret = RemoteTransfer.confidentialKeys(locks)
        for lock in locks.sorted(by: { $0.workflow < $1.workflow }) {
            for name in lock.stages.keys.sorted() {
                let entry = lock.stages[name]!
                if secret.contains(entry.key) {
                    report.confidential.append("\(lock.workflow)/\(name)")
                    continue
                }
                let present = entry.outputs.values.allSatisfy { output in
                    if case .present = store.check(output.digest, removeCorrupt: false) { return true }
                    return false
                }
                guard present, store.action(for: entry.key) != nil else {
                    report.missing.append("\(lock.workflow)/\(name)")
                    continue
                }
                for output in entry.outputs.values { blobs[output.digest] = output.size }
                if !actions.contains(entry.key) { actions.append(entry.key) }
            }
        }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot create \(temporary.path)", errno) }
        do {
            defer { close(fd) }
            for digest in blobs.keys.sorted(by: { $0.hex < $1.hex }) {
                report.bytes += try append(file: store.blobPath(digest), as: "cas/\(digest.hex.prefix(2))/\(digest.hex.dropFirst(2))", expected: digest, to: fd)
                report.blobs += 1
            }
            for key in actions.sorted(by: { $0.hex < $1.hex }) {
                _ = try append(file: store.actionURL(key).path, as: "actions/\(key.hex.prefix(2))/\(key.hex.dropFirst(2))", to: fd)
                report.actions += 1
            }
            try writeAll(fd, [UInt8](repeating: 0, count: 2 * block))
        } catch {
            unlink(temporary.path)
            throw error
        }
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw StoreError.io("cannot write \(url.path)", errno)
        }
        return report
    }

    /// Appends one file as a tar entry (copied with `ContentHasher.stream`); returns its size.
    /// - Parameter expected: a blob's name, which its bytes must still hash to.
    private static func append(file path: String, as name: String, expected: Digest? = nil, to fd: Int32) throws -> Int64 {
        guard let size = FileSystem.identity(ofFileAt: path)?.size else { throw StoreError.io("cannot stat '\(path)'", errno) }
        try writeAll(fd, header(name: name, size: size))
        let copied = try ContentHasher.stream(path, copyingTo: fd)
        guard copied.size == size, expected.map({ $0 == copied.digest }) ?? true else {
            throw StoreError.io("'\(path)' changed while it was being archived; run 'paperflow cache verify' and export again", EIO)
        }
        try writeAll(fd, [UInt8](repeating: 0, count: padding(size)))
        return size
    }

    /// Zero bytes after `size` bytes of content, up to the next block.
    static func padding(_ size: Int64) -> Int { Int((Int64(block) - size % Int64(block)) % Int64(block)) }

    /// A ustar header: mode 0444, owner 0, mtime 0 (the same store gives the same archive).
    static func header(name: String, size: Int64) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: block)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
        }
        // width − 1 octal digits, zero-padded, then the NUL already there.
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset)
        }
        put(name, at: 0)
        octal(0o444, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        if size < 0o77777777777 {
            octal(size, at: 124, width: 12)
        } else {
            // GNU base-256 for blobs of 8 GiB and more: high bit set, big-endian value.
            header[124] = 0x80
            for index in 0..<8 { header[135 - index] = UInt8(truncatingIfNeeded: size >> (8 * index)) }
        }
        octal(0, at: 136, width: 12)
        header[156] = UInt8(ascii: "0")
        put("ustar\u{0}00", at: 257)
        // The checksum counts its own field as spaces, and is six digits, NUL, space.
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        octal(Int64(header.reduce(0) { $0 + Int($1) }), at: 148, width: 7)
        header[154] = 0
        return header
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try FileSystem.writeAll(fd, $0, what: "cannot write the archive") }
    }

    // MARK: Import

    /// Reads an archive made by `export` into `store` (call under the store lock).
    /// - Throws: `ArchiveError` for a file that is not such an archive or ends inside an entry;
    ///   what arrived whole and verified before that stays.
    public static func importArchive(from url: URL, into store: ArtifactStore) throws -> ImportReport {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("cannot open \(url.path)", errno) }
        defer { close(fd) }
        var report = ImportReport()
        var offset: Int64 = 0
        var header = [UInt8](repeating: 0, count: block)
        while true {
            guard try readFully(fd, &header) else {
                throw ArchiveError(description: "\(url.lastPathComponent): ends at byte \(offset) without the end-of-archive blocks (cut short?)")
            }
            if header.allSatisfy({ $0 == 0 }) { break }
            let entry = try parse(header, at: offset, file: url.lastPathComponent)
            offset += Int64(block)
            let parts = entry.name.split(separator: "/")
            let digest = parts.count == 3 && parts[1].count == 2 ? Digest(hex: String(parts[1] + parts[2])) : nil
            switch (parts.first, digest) {
            case ("cas", let digest?):
                try receiveBlob(fd, size: entry.size, expected: digest, store: store, report: &report, entry: entry.name, file: url.lastPathComponent)
            case ("actions", let key?) where entry.size < 1 << 20:
                var bytes = [UInt8](repeating: 0, count: Int(entry.size))
                guard try readFully(fd, &bytes) else { throw ArchiveError(description: "\(url.lastPathComponent): ends inside \(entry.name) (cut short?)") }
                guard let action = ActionRecord(text: Substring(decoding: bytes, as: UTF8.self)), action.key == key else {
                    report.rejected.append("\(entry.name): not an action record for key \(key)")
                    break
                }
                let missing = action.outputs.values.filter { output in
                    if case .present = store.check(output.digest) { return false }
                    return true
                }
                guard missing.isEmpty else {
                    report.rejected.append("\(entry.name): names \(missing.map(\.digest.description).sorted().joined(separator: ", ")), not in the store or the archive")
                    break
                }
                try store.record(action)
                report.actions += 1
            default:
                try skip(fd, Int(entry.size))
                report.rejected.append("\(entry.name): not a blob or an action record of a Paperflow store")
            }
            if entry.size > 0 { try skip(fd, padding(entry.size)) }
            offset += entry.size + Int64(padding(entry.size))
        }
        try? store.memo.save()
        return report
    }

    /// Copies a blob entry into the store's scratch space while hashing it, and renames it into
    /// place only when the bytes hash to its name.
    private static func receiveBlob(_ fd: Int32, size: Int64, expected: Digest, store: ArtifactStore,
                                    report: inout ImportReport, entry: String, file: String) throws {
        let receiver = try BlobReceiver(store: store, expected: expected)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ContentHasher.blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        var left = size
        while left > 0 {
            let count = read(fd, buffer.baseAddress!, min(buffer.count, Int(left)))
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw ArchiveError(description: "\(file): ends inside \(entry) (cut short?)") }
            try receiver.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            left -= Int64(count)
        }
        switch try receiver.finish() {
        case let .mismatch(found):
            report.rejected.append("\(entry): its bytes hash to \(found), not to its name; not stored")
        case .present:
            report.blobsPresent += 1
        case .added:
            report.blobsAdded += 1
            report.bytes += size
        }
    }

    /// Name and size of a header, its checksum checked.
    private static func parse(_ header: [UInt8], at offset: Int64, file: String) throws -> (name: String, size: Int64) {
        func field(_ range: Range<Int>) -> String {
            String(decoding: header[range].prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        var checked = header
        for index in 148..<156 { checked[index] = UInt8(ascii: " ") }
        guard let sum = Int(field(148..<156), radix: 8), sum == checked.reduce(0, { $0 + Int($1) }) else {
            throw ArchiveError(description: "\(file): the tar header at byte \(offset) is damaged (checksum); this is not an archive from 'paperflow cache export', or it was corrupted")
        }
        let size: Int64
        if header[124] & 0x80 != 0 {
            size = header[128..<136].reduce(0) { $0 << 8 | Int64($1) }
        } else if let octal = Int64(field(124..<136), radix: 8) {
            size = octal
        } else {
            throw ArchiveError(description: "\(file): the tar header at byte \(offset) has no size")
        }
        let prefix = field(345..<500), name = field(0..<100)
        return (prefix.isEmpty ? name : prefix + "/" + name, size)
    }

    /// Fills `bytes`; false at the end of the file (a partial fill is an error).
    private static func readFully(_ fd: Int32, _ bytes: inout [UInt8]) throws -> Bool {
        let wanted = bytes.count
        let filled = try bytes.withUnsafeMutableBytes { buffer -> Int in
            var filled = 0
            while filled < wanted {
                let count = read(fd, buffer.baseAddress! + filled, wanted - filled)
                if count < 0, errno == EINTR { continue }
                if count < 0 { throw StoreError.io("cannot read the archive", errno) }
                if count == 0 { break }
                filled += count
            }
            return filled
        }
        return filled == wanted
    }

    private static func skip(_ fd: Int32, _ count: Int) throws {
        guard count > 0 else { return }
        guard lseek(fd, off_t(count), SEEK_CUR) >= 0 else { throw StoreError.io("cannot read the archive", errno) }
    }
}
