/// Snappy decompression of the raw block format (Google's format_description.txt), as Parquet
/// stores snappy pages: the uncompressed length as a varint, then literals and back-references of
/// 1-, 2- and 4-byte offsets. A damaged block is an error, never a read or write outside the buffers.
enum Snappy {
    typealias Failure = CompressionFailure

    /// Decompresses `input` into `output`, whose size must equal the length the block records.
    static func decompress(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) throws(Failure) -> Int {
        var position = 0, length = 0, shift = 0
        while true {
            guard position < input.count, shift < 35 else { throw Failure("a snappy block's length is cut") }
            let byte = Int(input[position])
            position += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80 { break }
        }
        guard length == output.count else { throw Failure("a snappy block of \(length) bytes where \(output.count) are expected") }
        let source = input.baseAddress!, target = output.baseAddress!
        var written = 0
        while position < input.count {
            let tag = Int(input[position])
            position += 1
            var count: Int, distance: Int
            switch tag & 3 {
            case 0:
                count = tag >> 2
                if count >= 60 {
                    let width = count - 59
                    guard position + width <= input.count else { throw Failure("a snappy literal's length is cut") }
                    count = 0
                    for index in 0..<width { count |= Int(input[position + index]) << (8 * index) }
                    position += width
                }
                count += 1
                guard position + count <= input.count, written + count <= length else { throw Failure("a snappy literal runs past its block") }
                (target + written).update(from: source + position, count: count)
                position += count
                written += count
                continue
            case 1:
                guard position < input.count else { throw Failure("a snappy copy is cut") }
                count = 4 + ((tag >> 2) & 7)
                distance = (tag >> 5) << 8 | Int(input[position])
                position += 1
            case 2:
                guard position + 2 <= input.count else { throw Failure("a snappy copy is cut") }
                count = 1 + (tag >> 2)
                distance = Int(input[position]) | Int(input[position + 1]) << 8
                position += 2
            default:
                guard position + 4 <= input.count else { throw Failure("a snappy copy is cut") }
                count = 1 + (tag >> 2)
                distance = 0
                for index in 0..<4 { distance |= Int(input[position + index]) << (8 * index) }
                position += 4
            }
            guard distance > 0, distance <= written, written + count <= length else { throw Failure("a snappy copy reaches outside its block") }
            let from = target + written - distance
            if distance >= count {
                (target + written).update(from: from, count: count)
            } else {
                for index in 0..<count { target[written + index] = from[index] }
            }
            written += count
        }
        guard written == length else { throw Failure("a snappy block ends after \(written) of its \(length) bytes") }
        return written
    }
}
