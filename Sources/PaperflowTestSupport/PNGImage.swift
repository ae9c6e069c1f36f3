import Foundation

/// A decoded PNG (8-bit greyscale, RGB or RGBA, not interlaced — what Chromium's screenshots
/// are), so browser tests can assert a screenshot's size and how much of it is drawn.
public struct PNGImage {
    public let width: Int
    public let height: Int
    /// Channels per pixel (1, 3 or 4).
    public let channels: Int
    /// Row-major samples, `channels` per pixel.
    public let samples: [UInt8]

    public struct DecodeError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { "PNG: \(message)" }
    }

    public init(contentsOf url: URL) throws { try self.init(Data(contentsOf: url)) }

    public init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 8, bytes.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw DecodeError(message: "not a PNG file")
        }
        func be32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
        var offset = 8, compressed: [UInt8] = []
        var header: (width: Int, height: Int, depth: UInt8, color: UInt8, interlace: UInt8)?
        while offset + 8 <= bytes.count {
            let length = be32(offset), type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            let start = offset + 8
            guard start + length + 4 <= bytes.count else { throw DecodeError(message: "chunk \(type) runs past the end") }
            switch type {
            case "IHDR": header = (be32(start), be32(start + 4), bytes[start + 8], bytes[start + 9], bytes[start + 12])
            case "IDAT": compressed += bytes[start..<start + length]
            default: break
            }
            if type == "IEND" { break }
            offset = start + length + 4
        }
        guard let header else { throw DecodeError(message: "no IHDR chunk") }
        guard header.depth == 8, header.interlace == 0, [0, 2, 6].contains(header.color) else {
            throw DecodeError(message: "only 8-bit, non-interlaced grey, RGB or RGBA is supported (depth \(header.depth), colour type \(header.color))")
        }
        width = header.width
        height = header.height
        channels = header.color == 0 ? 1 : header.color == 2 ? 3 : 4
        guard compressed.count > 2 else { throw DecodeError(message: "no image data") }
        var inflater = Inflater(Array(compressed.dropFirst(2)))   // skip the zlib header
        let raw = try inflater.inflate()
        let stride = width * channels
        guard raw.count >= height * (stride + 1) else { throw DecodeError(message: "image data is short: \(raw.count) bytes for \(width)×\(height)") }
        var pixels = [UInt8](repeating: 0, count: height * stride)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)], line = row * (stride + 1) + 1
            for column in 0..<stride {
                let x = raw[line + column]
                let a = column >= channels ? pixels[row * stride + column - channels] : 0
                let b = row > 0 ? pixels[(row - 1) * stride + column] : 0
                let c = row > 0 && column >= channels ? pixels[(row - 1) * stride + column - channels] : 0
                let predicted: UInt8
                switch filter {
                case 0: predicted = 0
                case 1: predicted = a
                case 2: predicted = b
                case 3: predicted = UInt8((Int(a) + Int(b)) / 2)
                case 4:
                    let p = Int(a) + Int(b) - Int(c), pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
                    predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: throw DecodeError(message: "unknown filter \(filter) on row \(row)")
                }
                pixels[row * stride + column] = x &+ predicted
            }
        }
        samples = pixels
    }

    /// The pixel at (x, y) as RGB.
    public func rgb(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let base = (y * width + x) * channels
        return channels == 1 ? (samples[base], samples[base], samples[base]) : (samples[base], samples[base + 1], samples[base + 2])
    }

    /// How many pixels differ from `background` (default white).
    public func pixels(differingFrom background: (UInt8, UInt8, UInt8) = (255, 255, 255)) -> Int {
        var count = 0
        for y in 0..<height { for x in 0..<width where rgb(x, y) != background { count += 1 } }
        return count
    }

    /// The number of distinct colours (a drawn chart has several).
    public var colorCount: Int {
        var seen = Set<Int>()
        for y in 0..<height { for x in 0..<width { let (r, g, b) = rgb(x, y); seen.insert(Int(r) << 16 | Int(g) << 8 | Int(b)) } }
        return seen.count
    }
}

/// DEFLATE (RFC 1951): stored, fixed and dynamic Huffman blocks.
struct Inflater {
    let input: [UInt8]
    var position = 0, bitBuffer = 0, bitCount = 0
    var output: [UInt8] = []

    init(_ input: [UInt8]) { self.input = input }

    mutating func bits(_ count: Int) throws -> Int {
        while bitCount < count {
            guard position < input.count else { throw PNGImage.DecodeError(message: "compressed data ends early") }
            bitBuffer |= Int(input[position]) << bitCount
            position += 1
            bitCount += 8
        }
        let value = bitBuffer & ((1 << count) - 1)
        bitBuffer >>= count
        bitCount -= count
        return value
    }

    /// A canonical Huffman code: counts per length and symbols in code order.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) {
            for length in lengths { counts[length] += 1 }
            counts[0] = 0
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<16 { offsets[length] = offsets[length - 1] + counts[length - 1] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (symbol, length) in lengths.enumerated() where length > 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }
    }

    mutating func decode(_ code: Huffman) throws -> Int {
        var value = 0, first = 0, index = 0
        for length in 1..<16 {
            value |= try bits(1)
            let count = code.counts[length]
            if value - count < first { return code.symbols[index + value - first] }
            index += count
            first = (first + count) << 1
            value <<= 1
        }
        throw PNGImage.DecodeError(message: "bad Huffman code")
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                               4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    mutating func inflate() throws -> [UInt8] {
        var last = 0
        while last == 0 {
            last = try bits(1)
            switch try bits(2) {
            case 0:
                bitBuffer = 0
                bitCount = 0
                guard position + 4 <= input.count else { throw PNGImage.DecodeError(message: "stored block header runs past the end") }
                let length = Int(input[position]) | Int(input[position + 1]) << 8
                position += 4
                guard position + length <= input.count else { throw PNGImage.DecodeError(message: "stored block runs past the end") }
                output += input[position..<position + length]
                position += length
            case 1:
                try block(Huffman(lengths: Array(repeating: 8, count: 144) + Array(repeating: 9, count: 112) + Array(repeating: 7, count: 24)
                                  + Array(repeating: 8, count: 8)), Huffman(lengths: Array(repeating: 5, count: 30)))
            case 2:
                let literals = try bits(5) + 257, distances = try bits(5) + 1, codeLengths = try bits(4) + 4
                var lengths = [Int](repeating: 0, count: 19)
                for index in [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15].prefix(codeLengths) { lengths[index] = try bits(3) }
                let lengthCode = Huffman(lengths: lengths)
                var all: [Int] = []
                while all.count < literals + distances {
                    let symbol = try decode(lengthCode)
                    switch symbol {
                    case 0..<16: all.append(symbol)
                    case 16:
                        guard let previous = all.last else { throw PNGImage.DecodeError(message: "repeat with no previous length") }
                        all += Array(repeating: previous, count: 3 + (try bits(2)))
                    case 17: all += Array(repeating: 0, count: 3 + (try bits(3)))
                    default: all += Array(repeating: 0, count: 11 + (try bits(7)))
                    }
                }
                try block(Huffman(lengths: Array(all.prefix(literals))), Huffman(lengths: Array(all[literals..<literals + distances])))
            default:
                throw PNGImage.DecodeError(message: "invalid block type")
            }
        }
        return output
    }

    mutating func block(_ literal: Huffman, _ distance: Huffman) throws {
        while true {
            let symbol = try decode(literal)
            if symbol < 256 { output.append(UInt8(symbol)); continue }
            if symbol == 256 { return }
            let index = symbol - 257
            guard index < Self.lengthBase.count else { throw PNGImage.DecodeError(message: "bad length symbol") }
            let length = Self.lengthBase[index] + (try bits(Self.lengthExtra[index]))
            let distanceSymbol = try decode(distance)
            guard distanceSymbol < Self.distanceBase.count else { throw PNGImage.DecodeError(message: "bad distance symbol") }
            let back = Self.distanceBase[distanceSymbol] + (try bits(Self.distanceExtra[distanceSymbol]))
            guard back <= output.count else { throw PNGImage.DecodeError(message: "distance too far back") }
            let start = output.count - back
            for offset in 0..<length { output.append(output[start + offset]) }
        }
    }
}
