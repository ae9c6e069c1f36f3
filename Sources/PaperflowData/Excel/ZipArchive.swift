import Foundation

/// The members of a ZIP archive (APPNOTE 6.3: end of central directory, central directory,
/// local headers), stored or deflated, each checked against its CRC-32 — what an .xlsx file is.
struct ZipArchive {
    struct Failure: Error { var message: String }

    struct Member {
        var name: String
        var method: Int
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeader: Int
    }

    let bytes: [UInt8]
    let members: [String: Member]

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard bytes.count >= 22 else { throw Failure(message: "is too short to be a ZIP archive (an .xlsx is one)") }
        var end = bytes.count - 22
        let floor = max(0, bytes.count - 22 - 65_535)
        while end >= floor, u32(end) != 0x0605_4B50 { end -= 1 }
        guard end >= floor else { throw Failure(message: "is not a ZIP archive (no end-of-central-directory record; an .xlsx file is one)") }
        let count = u16(end + 10), directory = u32(end + 16)
        guard count != 0xFFFF, directory != 0xFFFF_FFFF else { throw Failure(message: "is a ZIP64 archive, which this reader does not open") }
        var members: [String: Member] = [:], at = directory
        for _ in 0..<count {
            guard at + 46 <= bytes.count, u32(at) == 0x0201_4B50 else { throw Failure(message: "has a damaged central directory at byte \(at)") }
            let nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32)
            guard at + 46 + nameLength <= bytes.count else { throw Failure(message: "has a damaged central directory at byte \(at)") }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            members[name] = Member(name: name, method: u16(at + 10), crc: UInt32(u32(at + 16)), compressedSize: u32(at + 20),
                                   size: u32(at + 24), localHeader: u32(at + 42))
            at += 46 + nameLength + extraLength + commentLength
        }
        self.members = members
    }

    /// A member's bytes, decompressed and checked.
    func data(_ name: String) throws -> [UInt8]? {
        guard let member = members[name] else { return nil }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        let at = member.localHeader
        guard at + 30 <= bytes.count, u16(at) | u16(at + 2) << 16 == 0x0403_4B50 else { throw Failure(message: "member \(name) has a damaged header") }
        let start = at + 30 + u16(at + 26) + u16(at + 28)
        guard start + member.compressedSize <= bytes.count else { throw Failure(message: "member \(name) ends past the end of the file (a cut file?)") }
        let result: [UInt8]
        switch member.method {
        case 0: result = Array(bytes[start..<(start + member.compressedSize)])
        case 8:
            do {
                result = try bytes.withUnsafeBufferPointer { buffer in
                    try Inflate.decompress(UnsafeBufferPointer(rebasing: buffer[start..<(start + member.compressedSize)]), expected: member.size)
                }
            } catch let failure as Inflate.Failure {
                throw Failure(message: "member \(name) does not decompress: \(failure.message)")
            }
        default: throw Failure(message: "member \(name) uses compression method \(member.method); only stored and deflate are read")
        }
        guard CRC32.checksum(result) == member.crc else { throw Failure(message: "member \(name) fails its CRC-32 check (a damaged file)") }
        return result
    }
}
