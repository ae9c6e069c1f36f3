/// A finite-state-entropy decoding table (RFC 8878 §4.1): per state, the symbol it emits and how
/// to reach the next state (`baseline` plus `bits` read from the stream).
struct FSEDecodingTable: Sendable {
    var log: Int
    var symbols: [UInt8]
    var bits: [UInt8]
    var baselines: [UInt16]

    /// The table of a normalised distribution: `counts[s]` states for symbol `s`, −1 for a
    /// "less than one" probability (one state, at the top of the table).
    init(counts: [Int], log: Int) throws(Zstd.Failure) {
        let size = 1 << log
        symbols = [UInt8](repeating: 0, count: size)
        bits = [UInt8](repeating: 0, count: size)
        baselines = [UInt16](repeating: 0, count: size)
        self.log = log
        var next = [Int](repeating: 0, count: counts.count)
        var high = size - 1
        for (symbol, count) in counts.enumerated() where count == -1 {
            symbols[high] = UInt8(symbol)
            high -= 1
            next[symbol] = 1
        }
        let step = (size >> 1) + (size >> 3) + 3, mask = size - 1
        var position = 0
        for (symbol, count) in counts.enumerated() where count > 0 {
            next[symbol] = count
            for _ in 0..<count {
                symbols[position] = UInt8(symbol)
                repeat { position = (position + step) & mask } while position > high
            }
        }
        guard position == 0 else { throw Zstd.Failure("an FSE distribution that does not fill its table") }
        for state in 0..<size {
            let symbol = Int(symbols[state])
            let value = next[symbol]
            next[symbol] += 1
            let width = log - (Int.bitWidth - 1 - value.leadingZeroBitCount)
            bits[state] = UInt8(width)
            baselines[state] = UInt16((value << width) - size)
        }
    }

    /// A table that always emits `symbol` and reads nothing (the RLE mode).
    init(single symbol: UInt8) {
        log = 0
        symbols = [symbol]
        bits = [0]
        baselines = [0]
    }

    /// Reads a table description (RFC 8878 §4.1.1) from the start of `bytes`.
    /// - Returns: the table and how many bytes the description took.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, maxLog: Int, maxSymbol: Int) throws(Zstd.Failure) -> (FSEDecodingTable, Int) {
        var stream = ForwardBits(bytes)
        let log = Int(stream.read(4)) + 5
        guard log <= maxLog else { throw Zstd.Failure("an FSE table of accuracy \(log), above the \(maxLog) allowed") }
        var remaining = (1 << log) + 1, threshold = 1 << log, width = log + 1
        var counts: [Int] = []
        while remaining > 1 {
            guard counts.count <= maxSymbol else { throw Zstd.Failure("an FSE distribution with too many symbols") }
            let largest = (2 * threshold - 1) - remaining
            var count: Int
            let low = Int(stream.peek(width - 1))
            if low < largest {
                count = low
                stream.skip(width - 1)
            } else {
                count = Int(stream.peek(width))
                if count >= threshold { count -= largest }
                stream.skip(width)
            }
            count -= 1
            remaining -= abs(count)
            counts.append(count)
            if count == 0 {
                while true {
                    let zeros = Int(stream.read(2))
                    counts += [Int](repeating: 0, count: zeros)
                    if zeros != 3 { break }
                }
            }
            while remaining < threshold {
                width -= 1
                threshold >>= 1
            }
        }
        guard remaining == 1, counts.count <= maxSymbol + 1, stream.bytesUsed <= bytes.count else {
            throw Zstd.Failure("a damaged FSE table description")
        }
        return (try FSEDecodingTable(counts: counts, log: log), stream.bytesUsed)
    }
}

/// A Huffman decoding table for literals (RFC 8878 §4.2): indexed by the next `maxBits` bits,
/// each entry the symbol (low byte) and its code length (high byte).
struct HuffmanDecodingTable: Sendable {
    var maxBits: Int
    var entries: [UInt16]

    /// Reads a tree description from the start of `bytes`.
    /// - Returns: the table and how many bytes the description took.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(Zstd.Failure) -> (HuffmanDecodingTable, Int) {
        guard let header = bytes.first else { throw Zstd.Failure("a Huffman tree description is missing") }
        var weights: [UInt8] = []
        let used: Int
        if header >= 128 {
            let count = Int(header) - 127
            used = 1 + (count + 1) / 2
            guard used <= bytes.count else { throw Zstd.Failure("a Huffman tree description is cut") }
            for index in 0..<count {
                let byte = bytes[1 + index / 2]
                weights.append(index % 2 == 0 ? byte >> 4 : byte & 15)
            }
        } else {
            used = 1 + Int(header)
            guard used <= bytes.count, header > 0 else { throw Zstd.Failure("a Huffman tree description is cut") }
            let region = UnsafeBufferPointer(rebasing: bytes[1..<used])
            let (table, tableBytes) = try FSEDecodingTable.read(region, maxLog: 6, maxSymbol: 11)
            guard tableBytes < region.count else { throw Zstd.Failure("a Huffman weight stream is missing") }
            var stream = try BackwardBits(UnsafeBufferPointer(rebasing: region[tableBytes...]))
            var first = Int(stream.read(table.log)), second = Int(stream.read(table.log))
            // Two interleaved states; when the stream runs out, the other state gives the last weight.
            while true {
                guard weights.count < 255 else { throw Zstd.Failure("a Huffman tree with more than 255 weights") }
                weights.append(table.symbols[first])
                first = Int(table.baselines[first]) + Int(stream.read(Int(table.bits[first])))
                if stream.isOverflowed { weights.append(table.symbols[second]); break }
                guard weights.count < 255 else { throw Zstd.Failure("a Huffman tree with more than 255 weights") }
                weights.append(table.symbols[second])
                second = Int(table.baselines[second]) + Int(stream.read(Int(table.bits[second])))
                if stream.isOverflowed { weights.append(table.symbols[first]); break }
            }
        }
        var total = 0
        for weight in weights where weight > 0 {
            guard weight <= 11 else { throw Zstd.Failure("a Huffman weight above 11") }
            total += 1 << (Int(weight) - 1)
        }
        guard total > 0 else { throw Zstd.Failure("a Huffman tree without symbols") }
        let maxBits = Int.bitWidth - total.leadingZeroBitCount
        let left = (1 << maxBits) - total
        guard maxBits <= 11, left > 0, left & (left - 1) == 0 else { throw Zstd.Failure("Huffman weights that do not complete a tree") }
        weights.append(UInt8(Int.bitWidth - left.leadingZeroBitCount))
        var entries = [UInt16](repeating: 0, count: 1 << maxBits)
        var next = 0
        for weight in 1...maxBits {
            for (symbol, w) in weights.enumerated() where Int(w) == weight {
                let span = 1 << (weight - 1), length = maxBits + 1 - weight
                for index in next..<(next + span) { entries[index] = UInt16(length << 8 | symbol) }
                next += span
            }
        }
        return (HuffmanDecodingTable(maxBits: maxBits, entries: entries), used)
    }

    /// Decodes `output.count` symbols from one stream, which must be used exactly.
    func decode(_ stream: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) throws(Zstd.Failure) {
        var bits = try BackwardBits(stream)
        let maxBits = self.maxBits
        try entries.withUnsafeBufferPointer { table throws(Zstd.Failure) in
            var index = 0
            // Fast path: one 8-byte load serves five symbols (at most 55 bits) while at least
            // 64 bits remain; the last symbols go through the checked reader.
            var position = bits.position
            let raw = UnsafeRawPointer(stream.baseAddress!)
            while position >= 64, index + 5 <= output.count {
                let end = (position + 7) >> 3
                var word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self)) &<< UInt64(end * 8 - position)
                for _ in 0..<5 {
                    let entry = table[Int(word &>> UInt64(64 - maxBits))]
                    output[index] = UInt8(truncatingIfNeeded: entry)
                    let length = Int(entry &>> 8)
                    word = word &<< UInt64(length)
                    position -= length
                    index += 1
                }
            }
            bits.skip(bits.position - position)
            while index < output.count {
                let entry = table[Int(bits.peek(maxBits))]
                output[index] = UInt8(truncatingIfNeeded: entry)
                bits.skip(Int(entry >> 8))
                index += 1
            }
        }
        guard bits.isExhausted else { throw Zstd.Failure("a Huffman stream does not end where its literals do") }
    }
}
