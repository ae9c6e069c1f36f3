import PaperflowCore
import PaperflowData

/// Product codes (HS, SITC) as text. A code column read as numbers has lost its leading zeros
/// (0101 became 101): it is refused with a fix, or zero-padded to a stated width when asked.
enum ProductCodes {
    static let padParam = ParamSpec("pad_product", .int, default: .int(0),
                                    summary: "zero-pad numeric product codes to this many digits (0: refuse numeric codes)")

    /// `column` as text codes, and how many of its codes were padded.
    /// - Throws: `StageFailure` for a numeric column when `pad` is 0, saying how to read it as text.
    static func text(_ column: Column, named name: String, rowCount: Int, pad: Int) throws -> (column: Column, padded: Int) {
        guard column.type == .int64 else { return (column, 0) }
        guard pad > 0 else {
            throw StageFailure("""
                product column '\(name)' holds numbers, so codes such as 0101 have lost their leading zero; \
                read it as text (io.csv: schema: {\(name): string}) or set pad_product: 4 (or 6) to zero-pad them
                """)
        }
        var padded = 0
        let codes = (0..<rowCount).map { row -> String? in
            guard case let .int64(code) = column[row] else { return nil }
            let text = String(code)
            if text.count < pad { padded += 1 }
            return String(repeating: "0", count: max(0, pad - text.count)) + text
        }
        return (Column(string: codes), padded)
    }
}
