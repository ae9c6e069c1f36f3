/// Zstandard decompression (RFC 8878), for Parquet pages that pyarrow, polars and DuckDB write
/// with `zstd`: frames of raw, RLE and compressed blocks; raw, RLE, Huffman and treeless literals;
/// sequences with predefined, RLE, FSE and repeated tables. Written from the RFC; checked on pages
/// that libzstd wrote (`Tests/Fixtures/parquet/`). Dictionaries are refused; the optional content
/// checksum is skipped (Parquet pages carry their own sizes, which are checked). A damaged frame
/// is an error, never a read or write outside the buffers.
enum Zstd {
    typealias Failure = CompressionFailure

    /// Decompresses every frame of `input` into `output`.
    /// - Returns: the number of bytes written.
    static func decompress(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) throws(Failure) -> Int {
        var position = 0, written = 0
        while position < input.count {
            guard position + 4 <= input.count else { throw Failure("a frame is cut before its magic number") }
            let magic = UInt32(truncatingIfNeeded: loadPadded64(input, at: position))
            if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
                guard position + 8 <= input.count else { throw Failure("a skippable frame is cut") }
                position += 8 + Int(UInt32(truncatingIfNeeded: loadPadded64(input, at: position + 4)))
                continue
            }
            guard magic == 0xFD2F_B528 else { throw Failure("not a Zstandard frame (magic \(String(magic, radix: 16)))") }
            let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 17)
            defer { scratch.deallocate() }
            var frame = Frame(input: input, position: position + 4, output: output, written: written, literals: scratch)
            try frame.decode()
            position = frame.position
            written = frame.written
        }
        return written
    }

    static let literalLengthBase: [UInt32] = Array(0...15) + [16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]
    static let literalLengthBits: [UInt8] = [UInt8](repeating: 0, count: 16) + [1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
    static let matchLengthBase: [UInt32] = Array(3...34) + [35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539]
    static let matchLengthBits: [UInt8] = [UInt8](repeating: 0, count: 32) + [1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]

    /// The predefined distributions (RFC 8878 §3.1.1.3.2.2).
    static let predefinedLiteralLengths = try! FSEDecodingTable(
        counts: [4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1], log: 6)
    static let predefinedMatchLengths = try! FSEDecodingTable(
        counts: [1, 4, 3, 2, 2, 2, 2, 2, 2] + [Int](repeating: 1, count: 37) + [Int](repeating: -1, count: 7), log: 6)
    static let predefinedOffsets = try! FSEDecodingTable(
        counts: [1, 1, 1, 1, 1, 1, 2, 2, 2] + [Int](repeating: 1, count: 15) + [Int](repeating: -1, count: 5), log: 5)

    /// One frame's state: its output so far, repeat offsets, and the tables later blocks may reuse.
    struct Frame {
        let input: UnsafeBufferPointer<UInt8>
        var position: Int
        let output: UnsafeMutableBufferPointer<UInt8>
        var written: Int
        let start: Int
        var repeats: (Int, Int, Int) = (1, 4, 8)
        var huffman: HuffmanDecodingTable?
        var literalLengths: FSEDecodingTable?
        var offsets: FSEDecodingTable?
        var matchLengths: FSEDecodingTable?
        /// Scratch space for a block's decoded literals (at most 128 KiB).
        let literals: UnsafeMutableBufferPointer<UInt8>

        init(input: UnsafeBufferPointer<UInt8>, position: Int, output: UnsafeMutableBufferPointer<UInt8>, written: Int,
             literals: UnsafeMutableBufferPointer<UInt8>) {
            self.input = input
            self.literals = literals
            self.position = position
            self.output = output
            self.written = written
            self.start = written
        }

        mutating func byte() throws(Failure) -> Int {
            guard position < input.count else { throw Failure("a frame is cut") }
            defer { position += 1 }
            return Int(input[position])
        }

        mutating func little(_ width: Int) throws(Failure) -> Int {
            var value = 0
            for index in 0..<width { value |= try byte() << (8 * index) }
            return value
        }

        mutating func decode() throws(Failure) {
            let descriptor = try byte()
            guard descriptor & 0x08 == 0 else { throw Failure("a frame header with its reserved bit set") }
            let singleSegment = descriptor & 0x20 != 0
            if !singleSegment { _ = try byte() }
            let dictionary = try little([0, 1, 2, 4][descriptor & 3])
            guard dictionary == 0 else { throw Failure("a frame compressed with a dictionary (\(dictionary)), which Parquet does not use") }
            let sizeFlag = descriptor >> 6
            let sizeWidth = sizeFlag == 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][sizeFlag]
            var contentSize: Int? = sizeWidth == 0 ? nil : try little(sizeWidth)
            if sizeWidth == 2 { contentSize! += 256 }
            if let contentSize, contentSize > output.count - written {
                throw Failure("a frame of \(contentSize) bytes where \(output.count - written) are expected")
            }
            var last = false
            while !last {
                let header = try little(3)
                last = header & 1 == 1
                let size = header >> 3
                switch (header >> 1) & 3 {
                case 0:
                    guard position + size <= input.count else { throw Failure("a raw block is cut") }
                    guard size <= output.count - written else { throw Failure("more data than expected") }
                    (output.baseAddress! + written).update(from: input.baseAddress! + position, count: size)
                    position += size
                    written += size
                case 1:
                    let value = UInt8(try byte())
                    guard size <= output.count - written else { throw Failure("more data than expected") }
                    (output.baseAddress! + written).update(repeating: value, count: size)
                    written += size
                case 2:
                    guard size <= 1 << 17, position + size <= input.count else { throw Failure("a compressed block is cut or too large") }
                    try block(UnsafeBufferPointer(rebasing: input[position..<(position + size)]))
                    position += size
                default:
                    throw Failure("a block of the reserved type")
                }
            }
            if descriptor & 0x04 != 0 {
                guard position + 4 <= input.count else { throw Failure("a frame's checksum is cut") }
                position += 4
            }
            if let contentSize, contentSize != written - start {
                throw Failure("a frame of \(written - start) bytes where its header says \(contentSize)")
            }
        }

        /// A compressed block: the literals section, then the sequences that interleave them with
        /// matches.
        mutating func block(_ block: UnsafeBufferPointer<UInt8>) throws(Failure) {
            guard !block.isEmpty else { throw Failure("an empty compressed block") }
            let b0 = Int(block[0])
            let kind = b0 & 3, format = (b0 >> 2) & 3
            var literalCount = 0, end = 0
            var rawLiterals: UnsafeBufferPointer<UInt8>?
            func at(_ index: Int) throws(Failure) -> Int {
                guard index < block.count else { throw Failure("a literals header is cut") }
                return Int(block[index])
            }
            if kind < 2 {
                let headerSize: Int
                switch format {
                case 1: literalCount = (b0 >> 4) + (try at(1) << 4); headerSize = 2
                case 3: literalCount = (b0 >> 4) + (try at(1) << 4) + (try at(2) << 12); headerSize = 3
                default: literalCount = b0 >> 3; headerSize = 1
                }
                guard literalCount <= 1 << 17 else { throw Failure("a literals section above 128 KiB") }
                if kind == 0 {
                    end = headerSize + literalCount
                    guard end <= block.count else { throw Failure("raw literals are cut") }
                    rawLiterals = UnsafeBufferPointer(rebasing: block[headerSize..<end])
                } else {
                    let value = UInt8(try at(headerSize))
                    end = headerSize + 1
                    for index in 0..<literalCount { literals[index] = value }
                }
            } else {
                let headerSize = format < 2 ? 3 : format == 2 ? 4 : 5
                var value = 0
                for index in 0..<headerSize { value |= try at(index) << (8 * index) }
                let sizeBits = format < 2 ? 10 : format == 2 ? 14 : 18
                literalCount = (value >> 4) & ((1 << sizeBits) - 1)
                let compressed = (value >> (4 + sizeBits)) & ((1 << sizeBits) - 1)
                end = headerSize + compressed
                guard end <= block.count, literalCount <= 1 << 17 else { throw Failure("compressed literals are cut") }
                var streams = UnsafeBufferPointer(rebasing: block[headerSize..<end])
                if kind == 2 {
                    let (table, used) = try HuffmanDecodingTable.read(streams)
                    huffman = table
                    streams = UnsafeBufferPointer(rebasing: streams[used...])
                }
                guard let table = huffman else { throw Failure("treeless literals before any Huffman table") }
                let target = UnsafeMutableBufferPointer(rebasing: literals[0..<literalCount])
                if format == 0 {
                    try table.decode(streams, into: target)
                } else {
                    guard streams.count >= 6 else { throw Failure("a four-stream literals section is cut") }
                    let sizes = (0..<3).map { Int(streams[2 * $0]) | Int(streams[2 * $0 + 1]) << 8 }
                    let share = (literalCount + 3) / 4
                    guard 3 * share <= literalCount else { throw Failure("too few literals for four streams") }
                    var from = 6, into = 0
                    for index in 0..<4 {
                        let size = index < 3 ? sizes[index] : streams.count - from
                        guard size > 0, from + size <= streams.count else { throw Failure("a literal stream is cut") }
                        let count = index < 3 ? share : literalCount - 3 * share
                        try table.decode(UnsafeBufferPointer(rebasing: streams[from..<(from + size)]),
                                         into: UnsafeMutableBufferPointer(rebasing: target[into..<(into + count)]))
                        from += size
                        into += count
                    }
                }
            }
            let decoded = rawLiterals ?? UnsafeBufferPointer(rebasing: literals[0..<literalCount])
            try sequences(UnsafeBufferPointer(rebasing: block[end...]), literals: decoded)
        }

        mutating func table(_ mode: Int, _ bytes: UnsafeBufferPointer<UInt8>, at offset: inout Int, previous: FSEDecodingTable?,
                            predefined: FSEDecodingTable, maxLog: Int, maxSymbol: Int) throws(Failure) -> FSEDecodingTable {
            switch mode {
            case 0: return predefined
            case 1:
                guard offset < bytes.count else { throw Failure("a sequences header is cut") }
                defer { offset += 1 }
                guard Int(bytes[offset]) <= maxSymbol else { throw Failure("an RLE sequence symbol out of range") }
                return FSEDecodingTable(single: bytes[offset])
            case 2:
                let (table, used) = try FSEDecodingTable.read(UnsafeBufferPointer(rebasing: bytes[offset...]), maxLog: maxLog, maxSymbol: maxSymbol)
                offset += used
                return table
            default:
                guard let previous else { throw Failure("a repeated sequence table before any table") }
                return previous
            }
        }

        /// The sequences section, executed into the output.
        mutating func sequences(_ section: UnsafeBufferPointer<UInt8>, literals: UnsafeBufferPointer<UInt8>) throws(Failure) {
            guard let b0 = section.first.map(Int.init) else { throw Failure("a block without its sequences section") }
            var offset = 1, count = b0
            if b0 >= 128 {
                guard section.count >= (b0 == 255 ? 3 : 2) else { throw Failure("a sequences header is cut") }
                if b0 < 255 {
                    count = ((b0 - 128) << 8) + Int(section[1])
                    offset = 2
                } else {
                    count = Int(section[1]) + (Int(section[2]) << 8) + 0x7F00
                    offset = 3
                }
            }
            var used = 0
            if count > 0 {
                guard offset < section.count else { throw Failure("a sequences header is cut") }
                let modes = Int(section[offset])
                offset += 1
                guard modes & 3 == 0 else { throw Failure("sequence modes with reserved bits set") }
                literalLengths = try table(modes >> 6, section, at: &offset, previous: literalLengths, predefined: Zstd.predefinedLiteralLengths, maxLog: 9, maxSymbol: 35)
                offsets = try table((modes >> 4) & 3, section, at: &offset, previous: offsets, predefined: Zstd.predefinedOffsets, maxLog: 8, maxSymbol: 31)
                matchLengths = try table((modes >> 2) & 3, section, at: &offset, previous: matchLengths, predefined: Zstd.predefinedMatchLengths, maxLog: 9, maxSymbol: 52)
                guard offset < section.count else { throw Failure("a sequences bitstream is missing") }
                used = try execute(count, UnsafeBufferPointer(rebasing: section[offset...]), literals: literals)
            }
            let rest = literals.count - used
            guard rest <= output.count - written else { throw Failure("more data than expected") }
            (output.baseAddress! + written).update(from: literals.baseAddress! + used, count: rest)
            written += rest
        }

        /// Decodes and executes `count` sequences; returns how many literals they used.
        mutating func execute(_ count: Int, _ stream: UnsafeBufferPointer<UInt8>, literals: UnsafeBufferPointer<UInt8>) throws(Failure) -> Int {
            let ll = literalLengths!, of = offsets!, ml = matchLengths!
            var bits = try BackwardBits(stream)
            var llState = Int(bits.read(ll.log)), ofState = Int(bits.read(of.log)), mlState = Int(bits.read(ml.log))
            var used = 0
            let out = output.baseAddress!
            // Local copies: a static table read in the loop costs a lazy-initialisation check per use.
            let matchBase = Zstd.matchLengthBase, matchBits = Zstd.matchLengthBits
            let literalBase = Zstd.literalLengthBase, literalBits = Zstd.literalLengthBits
            for index in 0..<count {
                let ofCode = Int(of.symbols[ofState]), llCode = Int(ll.symbols[llState]), mlCode = Int(ml.symbols[mlState])
                let offsetValue = (1 << ofCode) + Int(bits.read(ofCode))
                let matchLength = Int(matchBase[mlCode]) + Int(bits.read(Int(matchBits[mlCode])))
                let literalLength = Int(literalBase[llCode]) + Int(bits.read(Int(literalBits[llCode])))
                var distance: Int
                if offsetValue > 3 {
                    distance = offsetValue - 3
                    repeats = (distance, repeats.0, repeats.1)
                } else {
                    switch offsetValue + (literalLength == 0 ? 1 : 0) {
                    case 1: distance = repeats.0
                    case 2: distance = repeats.1; repeats = (distance, repeats.0, repeats.2)
                    case 3: distance = repeats.2; repeats = (distance, repeats.0, repeats.1)
                    default: distance = repeats.0 - 1; repeats = (distance, repeats.0, repeats.1)
                    }
                }
                if index != count - 1 {
                    llState = Int(ll.baselines[llState]) + Int(bits.read(Int(ll.bits[llState])))
                    mlState = Int(ml.baselines[mlState]) + Int(bits.read(Int(ml.bits[mlState])))
                    ofState = Int(of.baselines[ofState]) + Int(bits.read(Int(of.bits[ofState])))
                }
                guard !bits.isOverflowed else { throw Failure("a sequences bitstream ends early") }
                guard used + literalLength <= literals.count else { throw Failure("a sequence uses more literals than the block has") }
                guard literalLength + matchLength <= output.count - written else { throw Failure("more data than expected") }
                (out + written).update(from: literals.baseAddress! + used, count: literalLength)
                used += literalLength
                written += literalLength
                guard distance > 0, distance <= written - start else { throw Failure("a match reaches back before the frame's start") }
                let source = out + written - distance
                if distance >= matchLength {
                    (out + written).update(from: source, count: matchLength)
                } else if distance >= 8 {
                    // Overlapping, but 8 bytes apart at least: word copies forward are exact.
                    var step = 0
                    while step + 8 <= matchLength {
                        UnsafeMutableRawPointer(out + written + step).storeBytes(
                            of: UnsafeRawPointer(source + step).loadUnaligned(as: UInt64.self), as: UInt64.self)
                        step += 8
                    }
                    while step < matchLength { out[written + step] = source[step]; step += 1 }
                } else {
                    for step in 0..<matchLength { out[written + step] = source[step] }
                }
                written += matchLength
            }
            guard bits.isExhausted else { throw Failure("a sequences bitstream has bits left over") }
            return used
        }
    }
}
