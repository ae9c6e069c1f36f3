import Foundation
import PaperflowCore
import PaperflowData
#if canImport(Glibc)
import Glibc
#endif

/// Writes a folder as a ZIP archive (APPNOTE 6.3: stored members, CRC-32, UTF-8 names), the form
/// journals' deposit systems take. Members are stored, not deflated: a package's tables and
/// figures are small, and its data files are mostly compressed formats already. Archives over
/// 4 GiB (ZIP64) are refused with the fix.
enum ZipWriter {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Writes every file under `folder` into `archive`, under the top-level folder `prefix`.
    /// Each member is written as it is read (one file in memory at a time) to a scratch file
    /// beside the archive, renamed into place once complete.
    static func write(folder: URL, prefix: String, to archive: URL) throws {
        let files = try Manifest.files(under: folder)
        guard files.count < 0xFFFF else { throw Failure(description: "more than 65,534 files: zip the folder with a ZIP64 tool") }
        let scratch = archive.deletingLastPathComponent().appendingPathComponent(".\(archive.lastPathComponent).partial-\(getpid())")
        guard FileManager.default.createFile(atPath: scratch.path, contents: nil) else {
            throw Failure(description: "cannot write \(scratch.path)")
        }
        var completed = false
        defer { if !completed { unlink(scratch.path) } }
        let handle = try FileHandle(forWritingTo: scratch)
        defer { try? handle.close() }
        var central: [UInt8] = []
        var offset = 0
        for path in files {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(path)))
            let name = Array((prefix + "/" + path).utf8)
            guard offset + bytes.count + name.count + 30 < 0xFFFF_FFFF else {
                throw Failure(description: "the package is over 4 GiB: deposit large data files separately, or zip the folder with a ZIP64 tool")
            }
            let crc = CRC32.checksum(bytes)
            // Local file header.
            var header: [UInt8] = []
            append32(0x0403_4B50, to: &header)
            append16(20, to: &header); append16(0x0800, to: &header); append16(0, to: &header)  // version, UTF-8 names, stored
            append16(0, to: &header); append16(0x21, to: &header)                                // 1980-01-01 00:00 (reproducible)
            append32(crc, to: &header); append32(UInt32(bytes.count), to: &header); append32(UInt32(bytes.count), to: &header)
            append16(UInt16(name.count), to: &header); append16(0, to: &header)
            header += name
            try handle.write(contentsOf: header)
            try handle.write(contentsOf: bytes)
            // Its central directory entry.
            append32(0x0201_4B50, to: &central)
            append16(0x0314, to: &central); append16(20, to: &central); append16(0x0800, to: &central); append16(0, to: &central)
            append16(0, to: &central); append16(0x21, to: &central)
            append32(crc, to: &central); append32(UInt32(bytes.count), to: &central); append32(UInt32(bytes.count), to: &central)
            append16(UInt16(name.count), to: &central); append16(0, to: &central); append16(0, to: &central)
            append16(0, to: &central); append16(0, to: &central)
            append32(0o100644 << 16, to: &central)                                             // regular file, rw-r--r--
            append32(UInt32(offset), to: &central)
            central += name
            offset += header.count + bytes.count
        }
        var end: [UInt8] = []
        append32(0x0605_4B50, to: &end)
        append16(0, to: &end); append16(0, to: &end)
        append16(UInt16(files.count), to: &end); append16(UInt16(files.count), to: &end)
        append32(UInt32(central.count), to: &end); append32(UInt32(offset), to: &end)
        append16(0, to: &end)
        try handle.write(contentsOf: central + end)
        try handle.synchronize()
        guard rename(scratch.path, archive.path) == 0 else {
            throw Failure(description: "cannot move the archive into \(archive.path): \(String(cString: strerror(errno)))")
        }
        completed = true
    }

    private static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes += [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    private static func append32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }
}
