import Foundation

/// How `ParquetReader` turns a file's columns into table columns.
public struct ParquetOptions: Sendable, Hashable {
    /// The columns to read, in this order (nil: all, in the file's order).
    public var columns: [String]?
    /// Text columns the writer dictionary-encoded throughout become categories.
    public var categories = true
    /// DATE, TIMESTAMP and TIME values as ISO 8601 text, or as the numbers stored.
    public var datesAsText = true
    /// A row filter (an `Expression`); row groups whose statistics rule it out are not read.
    public var filter: String?

    public init() {}
}

/// What reading found and converted: the writer, row groups read and skipped, and per column the
/// Parquet types, the encodings met, and how many values were missing (and NaN, read as missing).
public struct ParquetReport: Sendable, Hashable, Codable {
    public struct ColumnReport: Sendable, Hashable, Codable {
        public var name: String
        public var physicalType: String
        public var logicalType: String
        public var type: String
        public var encodings: [String]
        public var missing: Int
        public var nanAsMissing: Int?
        public var note: String?
    }

    public var createdBy: String
    public var rowsInFile: Int
    public var rows: Int
    public var rowGroups: Int
    public var rowGroupsRead: Int
    public var codecs: [String]
    public var filter: String?
    public var columns: [ParquetReport.ColumnReport]
}

/// Reads flat Parquet files (parquet-format 2.x) into tables: every physical type; STRING, ENUM,
/// JSON, INTEGER (signed and unsigned), DATE, TIME, TIMESTAMP and DECIMAL logical types (and the
/// older converted types); PLAIN, dictionary, RLE / bit-packed, DELTA_BINARY_PACKED,
/// DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT encodings; data pages v1 and v2;
/// uncompressed, snappy, gzip and zstd pages. Row groups × columns are decoded in parallel.
/// Layout from Apache parquet-format (`parquet.thrift`, `Encodings.md`); values cross-checked
/// against files pyarrow, polars and DuckDB wrote (`Tests/Fixtures/parquet/`).
public enum ParquetReader {
    /// Reads the file at `url`; errors name `displayPath`.
    public static func read(contentsOf url: URL, displayPath: String, options: ParquetOptions = ParquetOptions()) throws -> (Table, ParquetReport) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw ParquetError(path: displayPath, message: "cannot be read: \(error.localizedDescription)")
        }
        return try data.withUnsafeBytes { raw in
            try read(raw.bindMemory(to: UInt8.self), displayPath: displayPath, options: options)
        }
    }

    static func metadata(_ file: UnsafeBufferPointer<UInt8>, path: String) throws -> ParquetMetadata {
        let magic = Array("PAR1".utf8)
        guard file.count >= 12, file.prefix(4).elementsEqual(magic) else {
            throw ParquetError(path: path, message: "is not a Parquet file (it does not start with PAR1)")
        }
        guard file.suffix(4).elementsEqual(magic) else {
            throw ParquetError(path: path, message: "does not end with PAR1: the file is cut or still being written")
        }
        let length = Int(UInt32(truncatingIfNeeded: loadPadded64(file, at: file.count - 8)))
        guard length <= file.count - 12 else { throw ParquetError(path: path, message: "its footer length (\(length) bytes) is larger than the file: the file is damaged") }
        var reader = ThriftCompactReader(UnsafeBufferPointer(rebasing: file[(file.count - 8 - length)..<(file.count - 8)]))
        do {
            let metadata = try ParquetMetadata(try reader.readStruct())
            // No writer stores more than a few hundred rows a byte even for a constant column
            // (page headers alone cost more): a larger claim is damage, refused before allocating.
            guard metadata.rows <= max(1 << 24, file.count * 4096) else {
                throw ParquetError(path: path, message: "its footer claims \(metadata.rows) rows, more than a file of \(file.count) bytes can hold (a damaged footer?)")
            }
            return metadata
        } catch let failure as ThriftCompactReader.Failure {
            throw ParquetError(path: path, message: "its footer is damaged: \(failure.message)")
        } catch let failure as ParquetMetadata.Failure {
            throw ParquetError(path: path, message: failure.message)
        }
    }

    static func read(_ file: UnsafeBufferPointer<UInt8>, displayPath path: String, options: ParquetOptions) throws -> (Table, ParquetReport) {
        let metadata = try metadata(file, path: path)
        let names = metadata.columns.map(\.name)
        let filter = try options.filter.map { text -> Expression in
            do { return try Expression(text) } catch { throw ParquetError(path: path, message: "filter '\(text)': \(error)") }
        }
        let selected = options.columns ?? names
        var needed = selected
        for name in filter?.columns ?? [] where !needed.contains(name) { needed.append(name) }
        for name in needed where !names.contains(name) {
            throw ParquetError(path: path, message: "has no column '\(name)'; its columns are \(names.joined(separator: ", "))")
        }
        let indices = needed.map { names.firstIndex(of: $0)! }
        let groups = metadata.rowGroups.indices.filter { group in
            filter.map { ParquetPushdown.mayMatch($0, metadata: metadata, group: group) } ?? true
        }

        // Fixed-width columns whose values keep their bits (or widen) are filled in place: each
        // chunk writes its rows straight into the column's memory.
        var firstRows: [Int] = [], total = 0
        for group in groups { firstRows.append(total); total += metadata.rowGroups[group].rows }
        let memories = indices.map { index -> (ColumnMemory, ParquetSink.Conversion)? in
            guard let conversion = ParquetSink.conversion(for: metadata.columns[index]) else { return nil }
            return (ColumnMemory(byteCount: total * conversion.width, alignment: 8), conversion)
        }

        // Decode every (row group, column) chunk, in parallel.
        let tasks = groups.enumerated().flatMap { number, group in indices.indices.map { (number, group, $0) } }
        var results = [Result<ParquetChunkDecoder.Decoded, ParquetEncoding.Failure>?](repeating: nil, count: tasks.count)
        results.withUnsafeMutableBufferPointer { slots in
            let slots = slots
            Parallel.forEach(tasks.count) { task in
                let (number, group, position) = tasks[task]
                let column = indices[position]
                var decoder = ParquetChunkDecoder(file: file, column: metadata.columns[column],
                                                  chunk: metadata.rowGroups[group].columns[column], rows: metadata.rowGroups[group].rows)
                if let (memory, conversion) = memories[position] {
                    decoder.sink = ParquetSink(base: memory.pointer + firstRows[number] * conversion.width, conversion: conversion)
                }
                slots[task] = Result { () throws(ParquetEncoding.Failure) in try decoder.decode() }
            }
        }
        // Each column's chunks become one column, the columns on every core.
        var assembled = [Result<(Column, ParquetReport.ColumnReport), ParquetError>?](repeating: nil, count: indices.count)
        assembled.withUnsafeMutableBufferPointer { slots in
            let slots = slots
            Parallel.forEach(indices.count) { position in
                let leaf = metadata.columns[indices[position]]
                slots[position] = Result { () throws(ParquetError) in
                    var chunks: [ParquetChunkDecoder.Decoded] = []
                    for (number, group) in groups.enumerated() {
                        switch results[number * indices.count + position]! {
                        case let .success(decoded): chunks.append(decoded)
                        case let .failure(failure):
                            throw ParquetError(path: path, message: "column '\(leaf.name)', row group \(group + 1): \(failure.message)")
                        }
                    }
                    do {
                        let filled: Column.Storage? = memories[position].map { memory, conversion in
                            switch conversion {
                            case .int64, .int32, .uint32: return .int64(ColumnBuffer(memory: memory, count: total))
                            case .double, .float: return .double(ColumnBuffer(memory: memory, count: total))
                            case .bool: return .bool(ColumnBuffer(memory: memory, count: total))
                            }
                        }
                        return try ParquetColumnAssembly(leaf: leaf, chunks: chunks, options: options, path: path).column(filled: filled)
                    } catch let error as ParquetError {
                        throw error
                    } catch {
                        throw ParquetError(path: path, message: "column '\(leaf.name)': \(error)")
                    }
                }
            }
        }
        var columns: [(String, Column)] = [], reports: [ParquetReport.ColumnReport] = []
        for (position, index) in indices.enumerated() {
            let (column, report) = try assembled[position]!.get()
            columns.append((metadata.columns[index].name, column))
            reports.append(report)
        }
        var table: Table
        do { table = try Table(columns) } catch { throw ParquetError(path: path, message: "\(error)") }
        if let filter {
            do { table = table.take(try filter.rows(where: table)) } catch { throw ParquetError(path: path, message: "filter '\(filter.source)': \(error)") }
            table = try Table(selected.map { ($0, try table.column($0)) })
            reports = selected.map { name in reports.first { $0.name == name }! }
        }
        let codecNames = [0: "uncompressed", 1: "snappy", 2: "gzip", 3: "lzo", 4: "brotli", 5: "lz4", 6: "zstd", 7: "lz4_raw"]
        let codecs = Set(metadata.rowGroups.flatMap { $0.columns.map { codecNames[$0.codec] ?? "codec \($0.codec)" } }).sorted()
        let report = ParquetReport(createdBy: metadata.createdBy, rowsInFile: metadata.rows, rows: table.rowCount,
                                   rowGroups: metadata.rowGroups.count, rowGroupsRead: groups.count, codecs: codecs,
                                   filter: options.filter, columns: reports)
        return (table, report)
    }
}
