/// A data file that cannot be read (.xlsx, Parquet): the file, and what is wrong with the part,
/// column or cell named in the message.
public struct DataFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// An .xlsx file that cannot be read, naming the file (and the part or cell) and what is wrong.
public typealias XLSXError = DataFileError
/// A Parquet file that cannot be read: the file and what is wrong, with the column where there is one.
public typealias ParquetError = DataFileError
