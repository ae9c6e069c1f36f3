import Foundation
import PaperflowCore
import PaperflowData

/// A number as a paper printed it: its value and how many decimals it was printed with.
struct Printed {
    var text: String
    var value: Double
    var decimals: Int

    init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let value = Double(trimmed) else { return nil }
        self.text = trimmed
        self.value = value
        decimals = trimmed.firstIndex(of: ".").map { trimmed.distance(from: $0, to: trimmed.endIndex) - 1 } ?? 0
    }

    /// Half a unit of the last printed digit: a value within it prints as this number.
    var halfUnit: Double { 0.5 * pow(10, -Double(decimals)) }

    /// Whether `reproduced` rounds to the printed number (1e-9 of slack for binary round-off).
    func agrees(with reproduced: Double) -> Bool { abs(reproduced - value) <= halfUnit + 1e-9 }

    /// `reproduced` at the printed number's precision.
    func format(_ reproduced: Double) -> String { String(format: "%.\(decimals)f", reproduced) }
}

/// One row of a published-numbers table (table, row, column, cell, value as printed), in the
/// keys of the `tables.crosstab` values that rebuild it. `tables.compare` checks them and
/// `synthetic.ict-survey` reconstructs data from them.
struct PublishedNumber {
    var table, row, column, cell: String
    var printed: Printed

    /// The lookup key of a table / row / column / cell (spaces in the cell ignored).
    static func key(_ table: String, _ row: String, _ column: String, _ cell: String) -> String {
        [table, row, column, cell.replacingOccurrences(of: " ", with: "")].joined(separator: "\u{1F}")
    }

    var key: String { Self.key(table, row, column, cell) }

    /// Every row of `table`, bound to the input port `input`.
    /// - Throws: `StageFailure` for a missing column, a value column read as numbers (its
    ///   printed precision lost), or a value that is not a number, naming the row.
    static func read(_ table: Table, input: String) throws -> [PublishedNumber] {
        let tables = try table.column("table", for: input), rows = try table.column("row", for: input)
        let columns = try table.column("column", for: input), cells = try table.column("cell", for: input)
        let values = try table.column("value", for: input)
        guard values.type == .string || values.type == .category else {
            throw StageFailure("\(input) column 'value' holds numbers, so the printed precision is lost ('80' and '80.0' differ); read it as text (io.csv: schema: {value: string})")
        }
        return try (0..<table.rowCount).map { index in
            let text = values[index].description
            guard let printed = Printed(text) else {
                throw StageFailure("\(input) row \(index + 1): value '\(text)' is not a number; write it as printed, e.g. 31.3")
            }
            return PublishedNumber(table: tables[index].description, row: rows[index].description, column: columns[index].description,
                                   cell: cells[index].description, printed: printed)
        }
    }
}
