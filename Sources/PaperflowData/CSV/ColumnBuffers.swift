/// The buffers one read of a CSV file fills: the final columns' own buffers, each with room for
/// every row the file can hold, filled in place by all chunks at once (each its own row range)
/// and then compacted in place — so every value is written once and no second copy of the table
/// ever exists.
///
/// `compact` closes the gaps between chunks (a chunk's capacity counts its line ends; blank lines
/// and quoted line breaks leave rows unused), shifts text offsets by the bytes of earlier chunks,
/// and maps each chunk's category codes into one dictionary whose order is first appearance in
/// the file: the table is the same, bit for bit, however many chunks read it.
struct ColumnBuffers {
    /// A chunk's rows: where they were written, how many, and what its sinks kept aside.
    typealias Part = (rowOffset: Int, rows: Int, sinks: [FieldSink])

    let types: [DataType]
    private let pointers: [UnsafeMutableRawPointer]

    /// Calls `fill` with buffers for `capacity` rows of each column; `fill` parses into them
    /// and returns the parts it read. Returns the columns.
    static func columns(types: [DataType], capacity: Int, fill: (ColumnBuffers) throws -> [Part]) throws -> [Column] {
        var parts: [Part] = []
        var dictionaries: [Int: StringStorage] = [:]
        var rows = 0
        let payloads = try nest(types[...], capacity: max(1, capacity), pointers: []) { pointers in
            let buffers = ColumnBuffers(types: types, pointers: pointers)
            parts = try fill(buffers)
            dictionaries = buffers.compact(parts)
            rows = parts.reduce(0) { $0 + $1.rows }
            return rows
        }
        return types.indices.map { index in
            let storage: Column.Storage
            switch payloads[index] {
            case let .offsets(values):
                storage = .string(StringStorage(offsets: values, bytes: concatenated(parts.map { $0.sinks[index].bytes })))
            case let .int64(values): storage = .int64(values)
            case let .double(values): storage = .double(values)
            case let .bool(values): storage = .bool(values)
            case let .codes(codes):
                storage = .category(codes: codes, dictionary: dictionaries[index] ?? StringStorage())
            }
            var validity: Bitmap?
            if parts.contains(where: { !$0.sinks[index].missing.isEmpty }) {
                var bitmap = Bitmap(count: rows, value: true)
                var destination = 0
                for part in parts {
                    for row in part.sinks[index].missing { bitmap[destination + row] = false }
                    destination += part.rows
                }
                validity = bitmap
            }
            return Column(storage: storage, validity: validity)
        }
    }

    /// The parts' text bytes back to back, copied in parallel.
    private static func concatenated(_ pieces: [[UInt8]]) -> [UInt8] {
        var starts = [0]
        for piece in pieces { starts.append(starts.last! + piece.count) }
        return [UInt8](unsafeUninitializedCapacity: starts.last!) { output, initialized in
            Parallel.forEach(pieces.count) { number in
                pieces[number].withUnsafeBufferPointer { piece in
                    if let source = piece.baseAddress { (output.baseAddress! + starts[number]).initialize(from: source, count: piece.count) }
                }
            }
            initialized = starts.last!
        }
    }

    private enum Payload {
        case int64(ColumnBuffer<Int64>), double(ColumnBuffer<Double>), bool(ColumnBuffer<Bool>), codes(ColumnBuffer<Int32>)
        /// Text offsets (`StringStorage` keeps them in an array).
        case offsets([Int64])
    }

    /// Creates the columns' buffers one inside another, each uninitialised with `capacity` slots
    /// (text offsets one more), so that all of them are open for writing while `body` runs; each
    /// takes as many elements as `body` reports rows.
    private static func nest(_ types: ArraySlice<DataType>, capacity: Int, pointers: [UnsafeMutableRawPointer],
                             body: ([UnsafeMutableRawPointer]) throws -> Int) throws -> [Payload] {
        guard let type = types.first else {
            _ = try body(pointers)
            return []
        }
        var inner: [Payload] = []
        func fill<T>(_ buffer: UnsafeMutableBufferPointer<T>, _ initialized: inout Int, extra: Int) throws {
            var rows = 0
            inner = try nest(types.dropFirst(), capacity: capacity, pointers: pointers + [UnsafeMutableRawPointer(buffer.baseAddress!)]) {
                rows = try body($0)
                return rows
            }
            initialized = rows + extra
        }
        func buffer<T>(_: T.Type) throws -> ColumnBuffer<T> {
            try ColumnBuffer<T>(unsafeUninitializedCapacity: capacity) { try fill($0, &$1, extra: 0) }
        }
        let payload: Payload
        switch type {
        case .int64: payload = .int64(try buffer(Int64.self))
        case .double: payload = .double(try buffer(Double.self))
        case .bool: payload = .bool(try buffer(Bool.self))
        case .category: payload = .codes(try buffer(Int32.self))
        case .string:
            payload = .offsets(try [Int64](unsafeUninitializedCapacity: capacity + 1) { array, initialized in
                PageAdvice.hugePages(UnsafeMutableRawBufferPointer(array))
                try fill(array, &initialized, extra: 1)
            })
        }
        return [payload] + inner
    }

    /// Sinks that write `rows` rows at most from `rowOffset` on, their pages mapped in one call.
    /// Text ends go one slot on: slot 0 of the offsets is the first string's start. A text column reserves the chunk's size (an upper
    /// bound on its bytes, so it never regrows; pages it does not fill are never touched).
    func sinks(rowOffset: Int, rows: Int, declared: [Bool], expectedBytes: Int) -> [FieldSink] {
        types.indices.map { index in
            let slot = types[index] == .string ? rowOffset + 1 : rowOffset
            PageAdvice.populate(UnsafeMutableRawBufferPointer(start: pointers[index] + slot * FieldSink.width(types[index]),
                                                              count: rows * FieldSink.width(types[index])))
            return FieldSink(type: types[index], declared: declared[index],
                             values: pointers[index] + slot * FieldSink.width(types[index]), expectedBytes: expectedBytes)
        }
    }

    /// Moves each part's rows down to follow the previous part's, rebasing text offsets and
    /// category codes on the way. Moving down in order never overwrites rows still to move; when
    /// no part moves (no blank lines or quoted line breaks), the parts are rebased in parallel.
    /// - Returns: each category column's dictionary.
    private func compact(_ parts: [Part]) -> [Int: StringStorage] {
        var destinations: [Int] = []
        var next = 0
        for part in parts {
            destinations.append(next)
            next += part.rows
        }
        let inPlace = zip(parts, destinations).allSatisfy { $0.rowOffset == $1 }
        func forEachPart(_ body: (Int) -> Void) {
            if inPlace { Parallel.forEach(parts.count, body) } else { for number in parts.indices { body(number) } }
        }
        var dictionaries: [Int: StringStorage] = [:]
        for index in types.indices {
            switch types[index] {
            case .string:
                let ends = pointers[index].assumingMemoryBound(to: Int64.self)
                ends[0] = 0
                var byteBases: [Int64] = [0]
                for part in parts { byteBases.append(byteBases.last! + Int64(part.sinks[index].bytes.count)) }
                forEachPart { number in
                    let (part, destination, byteBase) = (parts[number], destinations[number], byteBases[number])
                    for row in 0..<part.rows { ends[destination + row + 1] = ends[part.rowOffset + row + 1] + byteBase }
                }
            case .category:
                let codes = pointers[index].assumingMemoryBound(to: Int32.self)
                var encoder = parts.first?.sinks[index].encoder ?? DictionaryEncoder()
                let maps = parts.indices.map { $0 == 0 ? Swift.Array(0..<Int32(encoder.count)) : encoder.merge(parts[$0].sinks[index].encoder) }
                dictionaries[index] = encoder.dictionary
                forEachPart { number in
                    let (part, destination, map) = (parts[number], destinations[number], maps[number])
                    for row in 0..<part.rows {
                        codes[destination + row] = map.isEmpty ? 0 : map[Int(codes[part.rowOffset + row])]
                    }
                    // Missing rows hold code 0, whatever chunk they came from.
                    for row in part.sinks[index].missing { codes[destination + row] = 0 }
                }
            default:
                let width = FieldSink.width(types[index])
                for (part, destination) in zip(parts, destinations) where destination != part.rowOffset {
                    (pointers[index] + destination * width).copyMemory(from: pointers[index] + part.rowOffset * width,
                                                                       byteCount: part.rows * width)
                }
            }
        }
        return dictionaries
    }
}
