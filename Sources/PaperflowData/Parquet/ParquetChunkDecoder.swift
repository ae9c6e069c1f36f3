/// One column chunk of one row group, decoded page by page: decompressed (uncompressed, snappy,
/// gzip, zstd), its definition levels read (which rows are missing), and its present values
/// decoded in any of the encodings writers use. Fixed-width values that only widen (int32 and
/// int64 to int64, float and double to double, booleans) are written straight into the column's
/// memory at the row group's rows (`ParquetSink`); other fixed-width values are kept as their
/// little-endian bytes and typed later; byte arrays keep their dictionary codes while every page
/// is dictionary-encoded (they become a category column).
struct ParquetChunkDecoder {
    typealias Failure = ParquetEncoding.Failure

    enum Values {
        /// `width` bytes per present value (booleans one byte, 0 or 1).
        case fixed(bytes: [UInt8], width: Int)
        case byteArrays(ParquetEncoding.ByteArrays)
        case dictionary(codes: [Int32], entries: ParquetEncoding.ByteArrays)
        /// Written straight into the column's memory through a `ParquetSink`: this many values.
        case sunk(count: Int)
    }

    struct Decoded {
        var rows: Int
        /// Per row, 1 where a value is present; nil when every row has one.
        var present: [UInt8]?
        var values: Values
        var encodings: Set<String>
    }

    let file: UnsafeBufferPointer<UInt8>
    let column: ParquetMetadata.LeafColumn
    let chunk: ParquetMetadata.ColumnChunk
    let rows: Int
    /// Where fixed-width values go when the column is filled in place (nil: kept in `Values`).
    var sink: ParquetSink?

    /// Bytes per value of a fixed-width physical type; nil for byte arrays.
    var width: Int? {
        switch column.physical {
        case .boolean: return 1
        case .int32, .float: return 4
        case .int64, .double: return 8
        case .int96: return 12
        case .fixedLengthByteArray: return nil
        case .byteArray: return nil
        }
    }

    func decode() throws(Failure) -> Decoded {
        var position = chunk.firstPageOffset
        var seen = 0
        var present: [UInt8]? = column.optional ? [] : nil
        var fixed: [UInt8] = []
        var arrays = ParquetEncoding.ByteArrays()
        var codes: [Int32]? = column.physical == .byteArray || column.physical == .fixedLengthByteArray ? [] : nil
        var dictionaryFixed: [UInt8]?
        var dictionaryArrays: ParquetEncoding.ByteArrays?
        var encodings: Set<String> = []
        let scratch = PageBuffer()
        if let width, sink == nil { fixed.reserveCapacity(rows * width) }
        var rowsWritten = 0, sunk = 0
        var pageValues: [UInt8] = []
        present?.reserveCapacity(rows)
        while seen < chunk.valueCount {
            guard position >= 0, position < file.count else { throw Failure(message: "a page starts past the end of the file (a cut file?)") }
            var reader = ThriftCompactReader(UnsafeBufferPointer(rebasing: file[position...]))
            let header: ParquetPageHeader
            do { header = ParquetPageHeader(try reader.readStruct()) } catch { throw Failure(message: "a page header is damaged: \(error.message)") }
            position += reader.position
            guard header.compressedSize >= 0, header.uncompressedSize >= 0, header.compressedSize <= file.count - position else {
                throw Failure(message: "a page runs past the end of the file (a cut file?)")
            }
            guard header.valueCount >= 0 else { throw Failure(message: "a page header with a negative value count") }
            let page = UnsafeBufferPointer(rebasing: file[position..<(position + header.compressedSize)])
            position += header.compressedSize
            switch header.kind {
            case .dictionary?:
                let body = try decompress(page, size: header.uncompressedSize, into: scratch)
                guard header.encoding == ParquetEncoding.plain || header.encoding == ParquetEncoding.plainDictionary else {
                    throw Failure(message: "a dictionary page in \(ParquetEncoding.name(header.encoding))")
                }
                if let width {
                    guard header.valueCount <= body.count * 8, body.count >= header.valueCount * width || column.physical == .boolean else {
                        throw Failure(message: "a dictionary page is cut")
                    }
                    dictionaryFixed = column.physical == .boolean
                        ? try plainBooleans(body, count: header.valueCount)
                        : Array(body[0..<(header.valueCount * width)])
                } else {
                    var entries = ParquetEncoding.ByteArrays()
                    try ParquetEncoding.plainByteArrays(body, count: header.valueCount, fixedLength: fixedLength, into: &entries)
                    dictionaryArrays = entries
                }
            case .data?, .dataV2?:
                let count = header.valueCount
                guard count <= chunk.valueCount - seen else { throw Failure(message: "pages hold more values than their chunk") }
                var valuesBody: UnsafeBufferPointer<UInt8>
                var levels: UnsafeBufferPointer<UInt8>?
                if header.kind == .dataV2 {
                    let levelBytes = header.repetitionLevelsLength + header.definitionLevelsLength
                    guard header.repetitionLevelsLength == 0 else { throw Failure(message: "repetition levels in a flat column") }
                    guard levelBytes >= 0, levelBytes <= page.count else { throw Failure(message: "a page's levels are cut") }
                    guard header.definitionLevelsLength >= 0, header.uncompressedSize >= levelBytes else { throw Failure(message: "a page's level lengths are damaged") }
                    levels = UnsafeBufferPointer(rebasing: page[0..<header.definitionLevelsLength])
                    let rest = UnsafeBufferPointer(rebasing: page[levelBytes...])
                    valuesBody = header.isCompressed ? try decompress(rest, size: header.uncompressedSize - levelBytes, into: scratch) : rest
                } else {
                    valuesBody = try decompress(page, size: header.uncompressedSize, into: scratch)
                    if column.optional {
                        guard valuesBody.count >= 4 else { throw Failure(message: "a page's definition levels are cut") }
                        let length = Int(UInt32(truncatingIfNeeded: loadPadded64(valuesBody, at: 0)))
                        guard length <= valuesBody.count - 4 else { throw Failure(message: "a page's definition levels are cut") }
                        levels = UnsafeBufferPointer(rebasing: valuesBody[4..<(4 + length)])
                        valuesBody = UnsafeBufferPointer(rebasing: valuesBody[(4 + length)...])
                    }
                }
                var presentCount = count
                if column.optional, let levels {
                    var decoded = [UInt32](repeating: 0, count: count)
                    try decoded.withUnsafeMutableBufferPointer { buffer throws(Failure) in
                        _ = try ParquetEncoding.hybrid(levels, width: 1, count: count, into: buffer.baseAddress!)
                    }
                    presentCount = 0
                    for level in decoded {
                        present!.append(UInt8(truncatingIfNeeded: level))
                        presentCount += Int(level & 1)
                    }
                }
                encodings.insert(ParquetEncoding.name(header.encoding))
                let dictionaryEncoded = header.encoding == ParquetEncoding.rleDictionary || header.encoding == ParquetEncoding.plainDictionary
                if let sink, let width {
                    // Decode this page's values, then write them (and placeholders) in place.
                    pageValues.removeAll(keepingCapacity: true)
                    if dictionaryEncoded {
                        guard let dictionary = dictionaryFixed else { throw Failure(message: "a dictionary-encoded page without a dictionary page") }
                        try gather(try dictionaryIndices(valuesBody, count: presentCount), from: dictionary, width: width, into: &pageValues)
                    } else {
                        try fixedValues(valuesBody, encoding: header.encoding, count: presentCount, width: width, into: &pageValues)
                    }
                    guard pageValues.count == presentCount * width, rowsWritten + count <= rows else {
                        throw Failure(message: "a page holds \(pageValues.count / width) values for \(presentCount) rows with a value")
                    }
                    sink.write(pageValues, width: width, present: present.map { $0[(rowsWritten)...] }, row: rowsWritten, count: count)
                    rowsWritten += count
                    sunk += presentCount
                } else if dictionaryEncoded {
                    let indices = try dictionaryIndices(valuesBody, count: presentCount)
                    if let width {
                        guard let dictionary = dictionaryFixed else { throw Failure(message: "a dictionary-encoded page without a dictionary page") }
                        try gather(indices, from: dictionary, width: width, into: &fixed)
                    } else {
                        guard let dictionary = dictionaryArrays else { throw Failure(message: "a dictionary-encoded page without a dictionary page") }
                        for index in indices where Int(index) >= dictionary.count {
                            throw Failure(message: "a dictionary index \(index) past the dictionary's \(dictionary.count) entries")
                        }
                        if codes != nil {
                            codes!.append(contentsOf: indices.lazy.map { Int32(bitPattern: $0) })
                        } else {
                            for index in indices { dictionary.value(Int(index)).withUnsafeBufferPointer { arrays.append($0) } }
                        }
                    }
                } else if let width {
                    try fixedValues(valuesBody, encoding: header.encoding, count: presentCount, width: width, into: &fixed)
                } else {
                    if let pending = codes, let dictionary = dictionaryArrays {
                        // The writer fell back from its dictionary: the codes so far become text.
                        for code in pending { dictionary.value(Int(code)).withUnsafeBufferPointer { arrays.append($0) } }
                    }
                    codes = nil
                    try byteArrayValues(valuesBody, encoding: header.encoding, count: presentCount, into: &arrays)
                }
                seen += count
            default:
                break
            }
        }
        if let present, present.count != rows { throw Failure(message: "the chunk holds \(present.count) rows where its row group has \(rows)") }
        let presentCount = present.map { $0.reduce(0) { $0 + Int($1) } } ?? rows
        let valueCount = sink != nil ? sunk : width.map { fixed.count / $0 } ?? codes.flatMap { dictionaryArrays == nil ? nil : $0.count } ?? arrays.count
        guard valueCount == presentCount else {
            throw Failure(message: "the chunk's pages hold \(valueCount) values for \(presentCount) rows with a value (a damaged file?)")
        }
        let values: Values
        if sink != nil {
            guard rowsWritten == rows else { throw Failure(message: "the chunk's pages hold \(rowsWritten) rows where its row group has \(rows)") }
            values = .sunk(count: sunk)
        } else if let width {
            values = .fixed(bytes: fixed, width: width)
        } else if let codes, let dictionaryArrays {
            values = .dictionary(codes: codes, entries: dictionaryArrays)
        } else {
            values = .byteArrays(arrays)
        }
        return Decoded(rows: rows, present: present?.contains(0) == true ? present : nil, values: values, encodings: encodings)
    }

    var fixedLength: Int? { column.physical == .fixedLengthByteArray ? column.typeLength : nil }

    /// The page body after decompression (the page itself when uncompressed).
    func decompress(_ page: UnsafeBufferPointer<UInt8>, size: Int, into scratch: PageBuffer) throws(Failure) -> UnsafeBufferPointer<UInt8> {
        if chunk.codec == 0 {
            guard page.count == size else { throw Failure(message: "an uncompressed page of \(page.count) bytes where its header says \(size)") }
            return page
        }
        guard size >= 0, size <= 1 << 31 else { throw Failure(message: "a page claims \(size) bytes") }
        let buffer = scratch.reserve(size)
        do {
            switch chunk.codec {
            case 1:
                _ = try Snappy.decompress(page, into: buffer)
            case 2:
                let bytes = try Gzip.decompress(page, expected: size)
                _ = buffer.update(fromContentsOf: bytes)
            case 6:
                let written = try Zstd.decompress(page, into: buffer)
                guard written == size else { throw Failure(message: "a zstd page of \(written) bytes where its header says \(size)") }
            default:
                let names = [3: "LZO", 4: "BROTLI", 5: "LZ4 (Hadoop framing)", 7: "LZ4_RAW"]
                throw Failure(message: "its pages are compressed with \(names[chunk.codec] ?? "codec \(chunk.codec)"), which io.parquet does not read; rewrite the file with snappy, zstd, gzip or no compression (pyarrow: pq.write_table(t, path, compression=\"zstd\"))")
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(message: "a \(["", "snappy", "gzip", "", "", "", "zstd"][chunk.codec]) page is damaged: \(error)")
        }
        return UnsafeBufferPointer(buffer)
    }

    func plainBooleans(_ body: UnsafeBufferPointer<UInt8>, count: Int) throws(Failure) -> [UInt8] {
        guard body.count * 8 >= count else { throw Failure(message: "boolean values are cut") }
        return (0..<count).map { (body[$0 >> 3] >> UInt8($0 & 7)) & 1 }
    }

    func dictionaryIndices(_ body: UnsafeBufferPointer<UInt8>, count: Int) throws(Failure) -> [UInt32] {
        guard count > 0 else { return [] }
        guard let width = body.first else { throw Failure(message: "a dictionary-encoded page without its bit width") }
        var indices = [UInt32](repeating: 0, count: count)
        try indices.withUnsafeMutableBufferPointer { buffer throws(Failure) in
            _ = try ParquetEncoding.hybrid(UnsafeBufferPointer(rebasing: body[1...]), width: Int(width), count: count, into: buffer.baseAddress!)
        }
        return indices
    }

    func gather(_ indices: [UInt32], from dictionary: [UInt8], width: Int, into output: inout [UInt8]) throws(Failure) {
        let entries = dictionary.count / width
        for index in indices where Int(index) >= entries {
            throw Failure(message: "a dictionary index \(index) past the dictionary's \(entries) entries")
        }
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: indices.count * width))
        output.withUnsafeMutableBytes { target in
            dictionary.withUnsafeBytes { source in
                switch width {
                case 8:
                    let to = target.baseAddress!.advanced(by: start)
                    for (row, index) in indices.enumerated() {
                        to.storeBytes(of: source.loadUnaligned(fromByteOffset: Int(index) * 8, as: UInt64.self), toByteOffset: row * 8, as: UInt64.self)
                    }
                case 4:
                    let to = target.baseAddress!.advanced(by: start)
                    for (row, index) in indices.enumerated() {
                        to.storeBytes(of: source.loadUnaligned(fromByteOffset: Int(index) * 4, as: UInt32.self), toByteOffset: row * 4, as: UInt32.self)
                    }
                default:
                    for (row, index) in indices.enumerated() {
                        for byte in 0..<width { target[start + row * width + byte] = source[Int(index) * width + byte] }
                    }
                }
            }
        }
    }

    func fixedValues(_ body: UnsafeBufferPointer<UInt8>, encoding: Int, count: Int, width: Int, into output: inout [UInt8]) throws(Failure) {
        switch (encoding, column.physical) {
        case (ParquetEncoding.plain, .boolean):
            output += try plainBooleans(body, count: count)
        case (ParquetEncoding.rle, .boolean):
            guard body.count >= 4 else { throw Failure(message: "RLE booleans are cut") }
            var decoded = [UInt32](repeating: 0, count: count)
            try decoded.withUnsafeMutableBufferPointer { buffer throws(Failure) in
                _ = try ParquetEncoding.hybrid(UnsafeBufferPointer(rebasing: body[4...]), width: 1, count: count, into: buffer.baseAddress!)
            }
            output += decoded.map { UInt8($0 & 1) }
        case (ParquetEncoding.plain, _):
            guard body.count >= count * width else { throw Failure(message: "a page's values are cut") }
            output.append(contentsOf: body[0..<(count * width)])
        case (ParquetEncoding.deltaBinaryPacked, .int32), (ParquetEncoding.deltaBinaryPacked, .int64):
            let (values, _) = try ParquetEncoding.deltaBinaryPacked(body, count: count)
            for value in values.prefix(count) {
                if width == 4 {
                    withUnsafeBytes(of: Int32(truncatingIfNeeded: value).littleEndian) { output.append(contentsOf: $0) }
                } else {
                    withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
                }
            }
        case (ParquetEncoding.byteStreamSplit, _):
            output += try ParquetEncoding.byteStreamSplit(body, count: count, width: width)
        default:
            throw Failure(message: "\(ParquetEncoding.name(encoding)) values of physical type \(column.physical), which io.parquet does not read")
        }
    }

    func byteArrayValues(_ body: UnsafeBufferPointer<UInt8>, encoding: Int, count: Int, into output: inout ParquetEncoding.ByteArrays) throws(Failure) {
        switch encoding {
        case ParquetEncoding.plain:
            try ParquetEncoding.plainByteArrays(body, count: count, fixedLength: fixedLength, into: &output)
        case ParquetEncoding.deltaLengthByteArray:
            try ParquetEncoding.deltaLengthByteArrays(body, count: count, into: &output)
        case ParquetEncoding.deltaByteArray:
            try ParquetEncoding.deltaByteArrays(body, count: count, into: &output)
        case ParquetEncoding.byteStreamSplit where fixedLength != nil:
            let bytes = try ParquetEncoding.byteStreamSplit(body, count: count, width: fixedLength!)
            try bytes.withUnsafeBufferPointer { buffer throws(Failure) in
                try ParquetEncoding.plainByteArrays(buffer, count: count, fixedLength: fixedLength, into: &output)
            }
        default:
            throw Failure(message: "\(ParquetEncoding.name(encoding)) byte arrays, which io.parquet does not read")
        }
    }
}

/// A page's decompressed bytes, reused from page to page of a chunk (grown, never shrunk).
final class PageBuffer {
    private var storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 0)

    /// A buffer of exactly `size` bytes, valid until the next call.
    func reserve(_ size: Int) -> UnsafeMutableBufferPointer<UInt8> {
        if storage.count < size {
            storage.deallocate()
            storage = .allocate(capacity: size)
        }
        return UnsafeMutableBufferPointer(rebasing: storage[0..<size])
    }

    deinit { storage.deallocate() }
}

/// Where a fixed-width column's decoded values go when the reader fills the column's memory in
/// place: row 0 of this chunk, and how a stored value becomes the column's type.
struct ParquetSink {
    enum Conversion {
        case int64, int32, uint32, double, float, bool

        /// Bytes per value in the column: Int64 and Double 8, Bool 1.
        var width: Int { self == .bool ? 1 : 8 }
    }

    let base: UnsafeMutableRawPointer
    let conversion: Conversion

    /// How a column's values are filled in place, or nil where they need more than a copy
    /// (dates, decimals, unsigned 64-bit, INT96: `ParquetColumnAssembly` converts those).
    static func conversion(for leaf: ParquetMetadata.LeafColumn) -> Conversion? {
        switch (leaf.physical, leaf.meaning) {
        case (.int64, .plain), (.int64, .integer(_, true)): return .int64
        case (.int32, .plain), (.int32, .integer(_, true)): return .int32
        case (.int32, .integer(_, false)): return .uint32
        case (.double, .plain): return .double
        case (.float, .plain): return .float
        case (.boolean, _): return .bool
        default: return nil
        }
    }

    /// Writes `count` rows from `row`: the next stored value where `present` says so (every row
    /// when it is nil), a zero placeholder elsewhere.
    func write(_ values: [UInt8], width: Int, present: ArraySlice<UInt8>?, row: Int, count: Int) {
        values.withUnsafeBytes { raw in
            switch conversion {
            case .int64: fill(raw, present, row, count, as: Int64.self) { $0 }
            case .int32: fill(raw, present, row, count, as: Int32.self) { Int64($0) }
            case .uint32: fill(raw, present, row, count, as: Int32.self) { Int64(UInt32(bitPattern: $0)) }
            case .double: fill(raw, present, row, count, as: Double.self) { $0 }
            case .float: fill(raw, present, row, count, as: Float.self) { Double($0) }
            case .bool: fill(raw, present, row, count, as: UInt8.self) { $0 != 0 }
            }
        }
    }

    @inline(__always)
    private func fill<Stored: BitwiseCopyable, Result: BitwiseCopyable>(
        _ raw: UnsafeRawBufferPointer, _ present: ArraySlice<UInt8>?, _ row: Int, _ count: Int,
        as stored: Stored.Type, _ convert: (Stored) -> Result
    ) {
        let out = base.assumingMemoryBound(to: Result.self) + row
        let width = MemoryLayout<Stored>.size
        guard let present else {
            for index in 0..<count { out[index] = convert(raw.loadUnaligned(fromByteOffset: index * width, as: Stored.self)) }
            return
        }
        var next = 0
        for (index, flag) in present.prefix(count).enumerated() {
            if flag != 0 {
                out[index] = convert(raw.loadUnaligned(fromByteOffset: next * width, as: Stored.self))
                next += 1
            } else {
                // The placeholder: all-zero bytes are 0, 0.0 and false.
                UnsafeMutableRawPointer(out + index).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<Result>.size)
            }
        }
    }
}
