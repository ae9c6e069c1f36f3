/// gzip members (RFC 1952) as Parquet's GZIP codec stores them: the header with its optional
/// fields, a DEFLATE stream (`Inflate`), and the CRC-32 and length, both checked.
enum Gzip {
    /// Decompresses one or more members of `input`; the result must be `expected` bytes.
    static func decompress(_ input: UnsafeBufferPointer<UInt8>, expected: Int) throws(Inflate.Failure) -> [UInt8] {
        var result: [UInt8] = []
        var position = 0
        while position < input.count {
            guard position + 10 <= input.count, input[position] == 0x1F, input[position + 1] == 0x8B, input[position + 2] == 8 else {
                throw Inflate.Failure(message: "not a gzip member (its magic bytes are wrong)")
            }
            let flags = input[position + 3]
            position += 10
            if flags & 4 != 0 {
                guard position + 2 <= input.count else { throw Inflate.Failure(message: "a gzip header is cut") }
                position += 2 + (Int(input[position]) | Int(input[position + 1]) << 8)
            }
            for flag: UInt8 in [8, 16] where flags & flag != 0 {
                while position < input.count, input[position] != 0 { position += 1 }
                position += 1
            }
            if flags & 2 != 0 { position += 2 }
            guard position < input.count else { throw Inflate.Failure(message: "a gzip member is cut") }
            let (member, used) = try Inflate.decompressStream(UnsafeBufferPointer(rebasing: input[position...]), limit: expected - result.count)
            position += used
            guard position + 8 <= input.count else { throw Inflate.Failure(message: "a gzip member lacks its trailer") }
            let crc = UInt32(truncatingIfNeeded: loadPadded64(input, at: position))
            let size = UInt32(truncatingIfNeeded: loadPadded64(input, at: position + 4))
            guard crc == CRC32.checksum(member), size == UInt32(truncatingIfNeeded: member.count) else {
                throw Inflate.Failure(message: "a gzip member fails its CRC-32 or length check (a damaged file)")
            }
            position += 8
            result += member
        }
        guard result.count == expected else { throw Inflate.Failure(message: "\(result.count) bytes where \(expected) are expected") }
        return result
    }
}
