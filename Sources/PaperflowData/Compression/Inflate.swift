/// DEFLATE decompression (RFC 1951): stored, fixed-Huffman and dynamic-Huffman blocks, decoded
/// canonically code length by code length as Mark Adler's `puff` does — small, and fast enough
/// for the XML parts of a spreadsheet. A damaged stream is an error, never a read past the input.
enum Inflate {
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) throws(Failure) {
            for length in lengths { counts[length] += 1 }
            counts[0] = 0
            var left = 1
            for length in 1...15 {
                left <<= 1
                left -= counts[length]
                if left < 0 { throw Failure(message: "an over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (symbol, length) in lengths.enumerated() where length != 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }
    }

    struct Bits {
        let input: UnsafeBufferPointer<UInt8>
        var position = 0
        var buffer = 0, count = 0

        mutating func take(_ need: Int) throws(Failure) -> Int {
            var value = buffer
            while count < need {
                guard position < input.count else { throw Failure(message: "the compressed data end early") }
                value |= Int(input[position]) << count
                position += 1
                count += 8
            }
            buffer = value >> need
            count -= need
            return value & ((1 << need) - 1)
        }

        mutating func decode(_ code: Huffman) throws(Failure) -> Int {
            var value = 0, first = 0, index = 0
            for length in 1...15 {
                value |= try take(1)
                let count = code.counts[length]
                if value - count < first { return code.symbols[index + (value - first)] }
                index += count
                first += count
                first <<= 1
                value <<= 1
            }
            throw Failure(message: "a Huffman code that decodes to nothing")
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                               4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let fixed: (Huffman, Huffman) = {
        let literal = (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 }
        return (try! Huffman(lengths: literal), try! Huffman(lengths: [Int](repeating: 5, count: 30)))
    }()

    /// The decompressed bytes; `expected` is the size the archive records (checked).
    static func decompress(_ input: UnsafeBufferPointer<UInt8>, expected: Int) throws(Failure) -> [UInt8] {
        let (out, _) = try decompressStream(input, limit: expected)
        guard out.count == expected else { throw Failure(message: "\(out.count) bytes where the archive records \(expected)") }
        return out
    }

    /// One DEFLATE stream from the start of `input`: its bytes (at most `limit`) and how many
    /// input bytes it took.
    static func decompressStream(_ input: UnsafeBufferPointer<UInt8>, limit: Int) throws(Failure) -> ([UInt8], Int) {
        var bits = Bits(input: input)
        var out: [UInt8] = []
        // DEFLATE expands at most 1032-fold: a damaged size field cannot reserve gigabytes.
        out.reserveCapacity(min(limit, input.count * 1032))
        var last = 0
        repeat {
            last = try bits.take(1)
            switch try bits.take(2) {
            case 0:
                bits.buffer = 0
                bits.count = 0
                guard bits.position + 4 <= input.count else { throw Failure(message: "a stored block ends early") }
                let length = Int(input[bits.position]) | Int(input[bits.position + 1]) << 8
                let complement = Int(input[bits.position + 2]) | Int(input[bits.position + 3]) << 8
                guard length == ~complement & 0xFFFF else { throw Failure(message: "a stored block's length does not match its complement") }
                bits.position += 4
                guard bits.position + length <= input.count else { throw Failure(message: "a stored block ends early") }
                out.append(contentsOf: input[bits.position..<(bits.position + length)])
                bits.position += length
            case 1:
                try codes(&bits, &out, fixed.0, fixed.1)
            case 2:
                let literals = try bits.take(5) + 257, distances = try bits.take(5) + 1, lengthCodes = try bits.take(4) + 4
                guard literals <= 286, distances <= 30 else { throw Failure(message: "a dynamic block with too many codes") }
                let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                var codeLengths = [Int](repeating: 0, count: 19)
                for index in 0..<lengthCodes { codeLengths[order[index]] = try bits.take(3) }
                let lengthCode = try Huffman(lengths: codeLengths)
                var lengths: [Int] = []
                while lengths.count < literals + distances {
                    let symbol = try bits.decode(lengthCode)
                    switch symbol {
                    case 0...15: lengths.append(symbol)
                    case 16:
                        guard let previous = lengths.last else { throw Failure(message: "a repeat with nothing to repeat") }
                        lengths += [Int](repeating: previous, count: 3 + (try bits.take(2)))
                    case 17: lengths += [Int](repeating: 0, count: 3 + (try bits.take(3)))
                    default: lengths += [Int](repeating: 0, count: 11 + (try bits.take(7)))
                    }
                }
                guard lengths.count == literals + distances, lengths[256] > 0 else { throw Failure(message: "a dynamic block's code lengths do not add up") }
                try codes(&bits, &out, try Huffman(lengths: Array(lengths[..<literals])), try Huffman(lengths: Array(lengths[literals...])))
            default:
                throw Failure(message: "a block of the reserved type 3")
            }
            guard out.count <= limit else { throw Failure(message: "more data than expected") }
        } while last == 0
        return (out, bits.position)
    }

    static func codes(_ bits: inout Bits, _ out: inout [UInt8], _ literal: Huffman, _ distance: Huffman) throws(Failure) {
        while true {
            let symbol = try bits.decode(literal)
            if symbol < 256 { out.append(UInt8(symbol)); continue }
            if symbol == 256 { return }
            let index = symbol - 257
            guard index < 29 else { throw Failure(message: "a length code past 285") }
            let length = lengthBase[index] + (try bits.take(lengthExtra[index]))
            let code = try bits.decode(distance)
            guard code < 30 else { throw Failure(message: "a distance code past 29") }
            let back = distanceBase[code] + (try bits.take(distanceExtra[code]))
            guard back <= out.count else { throw Failure(message: "a distance back past the start") }
            let start = out.count - back
            for offset in 0..<length { out.append(out[start + offset]) }
        }
    }
}

/// CRC-32 (IEEE 802.3, as ZIP and gzip record it).
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
