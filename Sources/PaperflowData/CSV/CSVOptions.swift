/// How to read a CSV file.
public struct CSVOptions: Sendable {
    /// What to do with a malformed row.
    public enum BadRowPolicy: String, Sendable, Codable {
        /// Stop with an error naming the file, line and column.
        case error
        /// Leave the row out and count it in the report.
        case skip
    }

    /// The field separator (one ASCII byte).
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Whether the first record holds the column names.
    public var hasHeader = true
    /// Unquoted fields equal to one of these are missing. A quoted field is never missing
    /// (`""` is the empty string), so a writer can keep the string "NA" apart from a missing value.
    public var missingTokens: Set<String> = ["", "NA", "NaN", "nan", "NAN", "."]
    /// Types by column name; they override inference. Declare codes (`hs6: string`) here.
    public var schema: [String: DataType] = [:]
    /// Rows looked at to infer types; a later value that does not fit widens the column and the
    /// file is read again.
    public var inferenceRows = 10_000
    /// Malformed rows: error or skip.
    public var badRows: BadRowPolicy = .error
    /// Whether an undeclared text column whose sample repeats its values (at least 1,000 values,
    /// at most half of them distinct — cities, HS codes, years written as text) is read as a
    /// dictionary-encoded `category`: the same text, in 4 bytes a row, and fast to group by.
    public var inferCategories = true
    /// Threads to parse with; `nil` uses every core. Large files are split at record boundaries.
    public var threads: Int?
    /// The smallest chunk worth a thread of its own (tests lower it to split small files).
    var minimumChunkBytes = 1 << 20

    /// The defaults: comma, header, NA tokens, inference over 10,000 rows, errors on bad rows.
    public init() {}
}

/// A malformed CSV file, at its line and column (1-based; columns count characters).
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as named by the caller.
    public var file: String
    /// 1-based physical line (embedded newlines count).
    public var line: Int
    /// 1-based character column where the offending field starts.
    public var column: Int
    /// What is wrong, quoting the value.
    public var message: String
    /// How to fix it.
    public var hint: String

    public var description: String { "\(file):\(line):\(column): error: \(message)\n  hint: \(hint)" }
}

/// What reading a file found besides the table.
public struct CSVReport: Sendable, Equatable {
    /// Data rows read into the table.
    public var rows = 0
    /// Rows left out under `badRows: skip`.
    public var skippedRows = 0
    /// The first few problems of skipped rows, as `line:column: message`.
    public var skippedExamples: [String] = []
    /// Each column's type and whether it was declared or inferred.
    public var types: [String: DataType] = [:]
    /// How many times the file was read again because a value outgrew the inferred type.
    public var rereads = 0
    /// Columns whose header cell was empty, with the name given and where the cell is.
    public var renamedColumns: [String] = []

    /// An empty report.
    public init() {}
}
