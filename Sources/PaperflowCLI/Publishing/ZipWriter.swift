import Foundation
import PaperflowCore
import PaperflowData

/// Writes a folder as a ZIP archive (APPNOTE 6.3: stored members, CRC-32, UTF-8 names), the form
/// journals' deposit systems take. Members are stored, not deflated: a package's tables and
/// figures are small, and its data files are mostly compressed formats already. Archives over
/// 4 GiB (ZIP64) are refused with the fix.
enum ZipWriter {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Writes every file under `folder` into `archive`, under the top-level folder `prefix`.
    static func write(folder: URL, prefix: String, to archive: URL) throws {
        var body: [UInt8] = []
        var central: [UInt8] = []
        let files = try Manifest.files(under: folder)
        guard files.count < 0xFFFF else { throw Failure(description: "more than 65,534 files: zip the folder with a ZIP64 tool") }
        for path in files {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(path)))
            let name = Array((prefix + "/" + path).utf8)
            let offset = body.count
            guard offset + bytes.count + name.count + 30 < 0xFFFF_FFFF else {
                throw Failure(description: "the package is over 4 GiB: deposit large data files separately, or zip the folder with a ZIP64 tool")
            }
            let crc = CRC32.checksum(bytes)
            // Local file header.
            append32(0x0403_4B50, to: &body)
            append16(20, to: &body); append16(0x0800, to: &body); append16(0, to: &body)  // version, UTF-8 names, stored
            append16(0, to: &body); append16(0x21, to: &body)                              // 1980-01-01 00:00 (reproducible)
            append32(crc, to: &body); append32(UInt32(bytes.count), to: &body); append32(UInt32(bytes.count), to: &body)
            append16(UInt16(name.count), to: &body); append16(0, to: &body)
            body += name
            body += bytes
            // Its central directory entry.
            append32(0x0201_4B50, to: &central)
            append16(0x0314, to: &central); append16(20, to: &central); append16(0x0800, to: &central); append16(0, to: &central)
            append16(0, to: &central); append16(0x21, to: &central)
            append32(crc, to: &central); append32(UInt32(bytes.count), to: &central); append32(UInt32(bytes.count), to: &central)
            append16(UInt16(name.count), to: &central); append16(0, to: &central); append16(0, to: &central)
            append16(0, to: &central); append16(0, to: &central)
            append32(0o100644 << 16, to: &central)                                           // regular file, rw-r--r--
            append32(UInt32(offset), to: &central)
            central += name
        }
        let centralOffset = body.count
        body += central
        append32(0x0605_4B50, to: &body)
        append16(0, to: &body); append16(0, to: &body)
        append16(UInt16(files.count), to: &body); append16(UInt16(files.count), to: &body)
        append32(UInt32(central.count), to: &body); append32(UInt32(centralOffset), to: &body)
        append16(0, to: &body)
        try FileSystem.writeAtomically(Data(body), to: archive)
    }

    private static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes += [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    private static func append32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }
}
