/// A byte range of a CSV file that begins at a record's start, and how many rows it can hold at
/// most (one per line-end byte, plus one for a last record without a line end; blank lines,
/// CRLF and quoted line breaks make fewer).
struct CSVChunk {
    var start: Int
    var end: Int
    var capacity: Int
}

/// Splits a CSV file into chunks that can be parsed in parallel.
///
/// A chunk must start at a record's start, and a line break inside a quoted field is not one.
/// One counting pass over the file (in parallel) counts quotes and line breaks per slice; a
/// slice boundary is inside quotes exactly when the quotes before it are odd in number (doubled
/// quotes count twice), so each boundary moves to the first line break after it that is outside
/// quotes. A stray quote inside an unquoted field can mislead this; the reader then notices that
/// a chunk's last record does not end where the next chunk starts and reads sequentially instead.
enum CSVChunking {
    /// Chunks covering `start..<bytes.count`, at most `parts` and none under `minimumBytes`
    /// (one when the range is small or `parts` is 1).
    static func chunks(of bytes: UnsafeRawBufferPointer, from start: Int, parts: Int, minimumBytes: Int = 1 << 20) -> [CSVChunk] {
        let end = bytes.count
        guard let raw = bytes.baseAddress, end > start else { return [CSVChunk(start: start, end: end, capacity: 1)] }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        let parts = max(1, min(parts, (end - start) / max(1, minimumBytes)))
        let size = (end - start) / parts
        let nominal = (0...parts).map { $0 == parts ? end : start + $0 * size }
        var quotes = [Int](repeating: 0, count: parts)
        var lineEnds = [Int](repeating: 0, count: parts)
        quotes.withUnsafeMutableBufferPointer { quotes in
            lineEnds.withUnsafeMutableBufferPointer { lineEnds in
                Parallel.forEach(parts) { part in
                    (quotes[part], lineEnds[part]) = count(base, nominal[part]..<nominal[part + 1])
                }
            }
        }
        // Move each inner boundary past the next line break outside quotes.
        var boundaries = [start]
        var lineBreaksSkipped = [0]
        var quotesBefore = 0
        for part in 1..<max(parts, 1) {
            quotesBefore += quotes[part - 1]
            var inQuotes = quotesBefore % 2 == 1
            var position = nominal[part], skipped = 0
            while position < end {
                let byte = base[position]
                position += 1
                if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
                if byte == UInt8(ascii: "\r") { skipped += 1 }
                if byte == UInt8(ascii: "\n") {
                    skipped += 1
                    if !inQuotes { break }
                }
            }
            boundaries.append(max(position, boundaries[part - 1]))
            lineBreaksSkipped.append(skipped)
        }
        boundaries.append(end)
        lineBreaksSkipped.append(0)
        var chunks: [CSVChunk] = []
        let stayedInSlice = (1..<parts).allSatisfy { boundaries[$0] <= nominal[$0 + 1] }
        for part in 0..<parts where boundaries[part] < boundaries[part + 1] {
            let lineBreaks = stayedInSlice
                ? lineEnds[part] - lineBreaksSkipped[part] + lineBreaksSkipped[part + 1]
                : count(base, boundaries[part]..<boundaries[part + 1]).lineEnds
            // Inner chunks end just after a line break, so they hold at most one row per line
            // break; the last may end without one.
            let last = boundaries[part + 1] == end
            chunks.append(CSVChunk(start: boundaries[part], end: boundaries[part + 1], capacity: lineBreaks + (last ? 1 : 0)))
        }
        return chunks
    }

    /// Quotes and line-end bytes (LF and CR: a record ends in LF, CR or CRLF, so a range holds
    /// at most one record more than these) in `range`, sixteen bytes at a time: each lane of a
    /// vector counts its matches for up to 255 vectors, then the lanes are added up.
    static func count(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> (quotes: Int, lineEnds: Int) {
        let raw = UnsafeRawPointer(base)
        let quote = SIMD16<UInt8>(repeating: UInt8(ascii: "\"")), newline = SIMD16<UInt8>(repeating: UInt8(ascii: "\n"))
        let carriage = SIMD16<UInt8>(repeating: UInt8(ascii: "\r"))
        var quotes = 0, lineEnds = 0
        var index = range.lowerBound
        while index + 16 <= range.upperBound {
            var quoteLanes = SIMD16<UInt8>(), lineEndLanes = SIMD16<UInt8>()
            var vectors = 0
            while vectors < 255, index + 16 <= range.upperBound {
                let bytes = raw.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self)
                quoteLanes &+= SIMD16<UInt8>().replacing(with: 1, where: bytes .== quote)
                lineEndLanes &+= SIMD16<UInt8>().replacing(with: 1, where: bytes .== newline .| bytes .== carriage)
                index += 16
                vectors += 1
            }
            for lane in 0..<16 {
                quotes += Int(quoteLanes[lane])
                lineEnds += Int(lineEndLanes[lane])
            }
        }
        while index < range.upperBound {
            if base[index] == UInt8(ascii: "\"") { quotes += 1 }
            if base[index] == UInt8(ascii: "\n") || base[index] == UInt8(ascii: "\r") { lineEnds += 1 }
            index += 1
        }
        return (quotes, lineEnds)
    }
}
