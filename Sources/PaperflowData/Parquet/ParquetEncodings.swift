/// Parquet's value and level encodings (parquet-format `Encodings.md`): the RLE / bit-packed
/// hybrid (levels, dictionary indices, booleans), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
/// DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT. Every read is bounds-checked against its page.
enum ParquetEncoding {
    struct Failure: Error { var message: String }

    static let plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5
    static let deltaLengthByteArray = 6, deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9

    static let names = ["PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED",
                        "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"]

    static func name(_ code: Int) -> String { names.indices.contains(code) ? names[code] : "encoding \(code)" }

    /// A ULEB128 varint at `position`, advanced past it.
    static func varint(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int) throws(Failure) -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard position < bytes.count, shift < 64 else { throw Failure(message: "a varint runs past its page") }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    static func zigzag(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int) throws(Failure) -> Int64 {
        let raw = try varint(bytes, &position)
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// Decodes `count` values of the RLE / bit-packed hybrid with `width`-bit values into `output`.
    /// - Returns: the bytes used.
    @discardableResult
    static func hybrid(_ bytes: UnsafeBufferPointer<UInt8>, width: Int, count: Int, into output: UnsafeMutablePointer<UInt32>) throws(Failure) -> Int {
        guard (0...32).contains(width) else { throw Failure(message: "a bit width of \(width)") }
        var position = 0, produced = 0
        let byteWidth = (width + 7) / 8, mask: UInt64 = (1 << UInt64(width)) - 1
        while produced < count {
            let header = try varint(bytes, &position)
            if header & 1 == 0 {
                let run = Int(clamping: header >> 1)
                guard position + byteWidth <= bytes.count else { throw Failure(message: "an RLE run is cut") }
                var value: UInt32 = 0
                for index in 0..<byteWidth { value |= UInt32(bytes[position + index]) << (8 * index) }
                position += byteWidth
                guard UInt64(value) <= mask else { throw Failure(message: "an RLE value wider than its \(width)-bit width") }
                let take = min(run, count - produced)
                (output + produced).update(repeating: value, count: take)
                produced += take
            } else {
                let groups = Int(min(header >> 1, 1 << 40))
                let values = groups * 8, size = groups * width
                guard size <= bytes.count - position else { throw Failure(message: "a bit-packed run is cut") }
                let take = min(values, count - produced)
                if width == 0 {
                    (output + produced).update(repeating: 0, count: take)
                } else {
                    let base = position * 8
                    for index in 0..<take {
                        let bit = base + index * width
                        output[produced + index] = UInt32(truncatingIfNeeded: (loadPadded64(bytes, at: bit >> 3) >> UInt64(bit & 7)) & mask)
                    }
                }
                position += size
                produced += take
            }
        }
        return position
    }

    /// DELTA_BINARY_PACKED: `count` integers (wrapping in 64 bits; int32 columns truncate).
    /// - Returns: the values and the bytes used.
    static func deltaBinaryPacked(_ bytes: UnsafeBufferPointer<UInt8>, count: Int) throws(Failure) -> ([Int64], Int) {
        var position = 0
        let blockSize = Int(clamping: try varint(bytes, &position))
        let miniblocks = Int(clamping: try varint(bytes, &position))
        let total = Int(clamping: try varint(bytes, &position))
        var last = try zigzag(bytes, &position)
        guard miniblocks > 0, blockSize > 0, blockSize % (8 * miniblocks) == 0, blockSize <= 1 << 16 else {
            throw Failure(message: "a DELTA_BINARY_PACKED header with block size \(blockSize) and \(miniblocks) miniblocks")
        }
        guard total == count else { throw Failure(message: "DELTA_BINARY_PACKED data hold \(total) values where the page has \(count)") }
        var values: [Int64] = []
        values.reserveCapacity(total)
        if total > 0 { values.append(last) }
        let perMiniblock = blockSize / miniblocks
        while values.count < total {
            let minimum = try zigzag(bytes, &position)
            guard position + miniblocks <= bytes.count else { throw Failure(message: "DELTA_BINARY_PACKED bit widths are cut") }
            let widths = position
            position += miniblocks
            for miniblock in 0..<miniblocks where values.count < total {
                let width = Int(bytes[widths + miniblock])
                guard width <= 64 else { throw Failure(message: "a DELTA_BINARY_PACKED bit width of \(width)") }
                let size = perMiniblock * width / 8
                guard position + size <= bytes.count else { throw Failure(message: "a DELTA_BINARY_PACKED miniblock is cut") }
                let take = min(perMiniblock, total - values.count)
                let base = position * 8
                for index in 0..<take {
                    let delta = unpack(bytes, bit: base + index * width, width: width)
                    last = last &+ minimum &+ Int64(bitPattern: delta)
                    values.append(last)
                }
                position += size
            }
        }
        return (values, position)
    }

    /// A `width`-bit little-endian field at bit `bit` (widths up to 64).
    @inline(__always)
    static func unpack(_ bytes: UnsafeBufferPointer<UInt8>, bit: Int, width: Int) -> UInt64 {
        guard width > 0 else { return 0 }
        let shift = UInt64(bit & 7)
        var value = loadPadded64(bytes, at: bit >> 3) >> shift
        if width + Int(shift) > 64 { value |= UInt64(bytes[(bit >> 3) + 8]) << (64 - shift) }
        return width == 64 ? value : value & ((1 << UInt64(width)) - 1)
    }

    /// Byte arrays decoded into `offsets`/`data` (Arrow's layout, appended to).
    struct ByteArrays {
        var offsets: [Int64] = [0]
        var data: [UInt8] = []
        var count: Int { offsets.count - 1 }

        mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
            data.append(contentsOf: bytes)
            offsets.append(Int64(data.count))
        }

        func value(_ index: Int) -> ArraySlice<UInt8> { data[Int(offsets[index])..<Int(offsets[index + 1])] }

        /// Room for `values` more values of `bytes` more bytes, growing geometrically (an exact
        /// reservation per page would copy everything read so far, page after page).
        mutating func reserve(values: Int, bytes: Int) {
            if data.capacity < data.count + bytes { data.reserveCapacity(max(data.count + bytes, 2 * data.capacity)) }
            if offsets.capacity < offsets.count + values { offsets.reserveCapacity(max(offsets.count + values, 2 * offsets.capacity)) }
        }
    }

    /// PLAIN byte arrays: a 4-byte length before each; or fixed-length ones of `fixedLength` bytes.
    static func plainByteArrays(_ bytes: UnsafeBufferPointer<UInt8>, count: Int, fixedLength: Int?, into output: inout ByteArrays) throws(Failure) {
        var position = 0
        output.reserve(values: count, bytes: bytes.count)
        for _ in 0..<count {
            let length: Int
            if let fixedLength {
                length = fixedLength
            } else {
                guard position + 4 <= bytes.count else { throw Failure(message: "a byte array's length is cut") }
                length = Int(UInt32(truncatingIfNeeded: loadPadded64(bytes, at: position)))
                position += 4
            }
            guard length <= bytes.count - position else { throw Failure(message: "a byte array runs past its page") }
            output.append(UnsafeBufferPointer(rebasing: bytes[position..<(position + length)]))
            position += length
        }
    }

    /// DELTA_LENGTH_BYTE_ARRAY: the lengths delta-packed, then the bytes back to back.
    /// - Returns: the bytes used.
    @discardableResult
    static func deltaLengthByteArrays(_ bytes: UnsafeBufferPointer<UInt8>, count: Int, into output: inout ByteArrays) throws(Failure) -> Int {
        let (lengths, used) = try deltaBinaryPacked(bytes, count: count)
        var position = used
        for length in lengths.prefix(count) {
            guard length >= 0, Int(length) <= bytes.count - position else { throw Failure(message: "a byte array runs past its page") }
            output.append(UnsafeBufferPointer(rebasing: bytes[position..<(position + Int(length))]))
            position += Int(length)
        }
        return position
    }

    /// DELTA_BYTE_ARRAY: each value is a prefix of the previous one plus a suffix.
    static func deltaByteArrays(_ bytes: UnsafeBufferPointer<UInt8>, count: Int, into output: inout ByteArrays) throws(Failure) {
        let (prefixes, used) = try deltaBinaryPacked(bytes, count: count)
        var suffixes = ByteArrays()
        try deltaLengthByteArrays(UnsafeBufferPointer(rebasing: bytes[used...]), count: count, into: &suffixes)
        var previous: [UInt8] = []
        for index in 0..<count {
            let prefix = Int(prefixes[index])
            guard prefix >= 0, prefix <= previous.count else { throw Failure(message: "a DELTA_BYTE_ARRAY prefix longer than the value before it") }
            var value = Array(previous[0..<prefix])
            value += suffixes.value(index)
            value.withUnsafeBufferPointer { output.append($0) }
            previous = value
        }
    }

    /// BYTE_STREAM_SPLIT: byte k of every value in stream k.
    static func byteStreamSplit(_ bytes: UnsafeBufferPointer<UInt8>, count: Int, width: Int) throws(Failure) -> [UInt8] {
        guard bytes.count >= count * width else { throw Failure(message: "BYTE_STREAM_SPLIT data are cut") }
        var result = [UInt8](repeating: 0, count: count * width)
        let streamLength = bytes.count / width
        for value in 0..<count {
            for byte in 0..<width { result[value * width + byte] = bytes[byte * streamLength + value] }
        }
        return result
    }
}
