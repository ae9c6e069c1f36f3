import Foundation
import PaperflowCore
import PaperflowData

extension StageContext {
    /// A table output written straight to its file in the scratch directory, one buffer at a
    /// time: a firm panel's output is never held twice in memory, as `Table.artifact`'s bytes
    /// would be. Same bytes as `artifact`.
    func artifact(_ table: Table, fileName: String) throws -> Artifact {
        let url = outputURL(fileName)
        do { try BinaryTableFormat.write(table, to: url) } catch { throw StageFailure("\(error)") }
        return .file(url)
    }

    /// The table bound to `port`.
    /// - Throws: `StageFailure` when the port is unbound or the artifact is not a table.
    func table(_ port: String = "table") throws -> Table {
        let artifact = try input(port)
        do { return try BinaryTableFormat.read(contentsOf: artifact.url) } catch {
            throw StageFailure("input '\(port)' is not a table artifact: \(error)")
        }
    }

    /// The string list parameter `name` (empty when absent); a single string, where the
    /// parameter takes a string or a list (`key: city` or `key: [city, province_code]`), is a
    /// list of one.
    func strings(_ name: String) -> [String] {
        if let single = params[name]?.stringValue { return [single] }
        return params[name]?.listValue?.compactMap(\.stringValue) ?? []
    }

    /// The rows of `table` that the `subset` parameter's condition keeps (all rows without one).
    /// - Throws: `StageFailure` naming the expression and the position or row of the problem.
    func subset(_ table: Table, parameter: String = "subset") throws -> Table {
        guard let text = string(parameter), !text.isEmpty else { return table }
        do {
            return table.take(try Expression(text).rows(where: table))
        } catch {
            throw StageFailure("\(parameter) '\(text)': \(error)")
        }
    }
}

extension Table {
    /// The column `name`, or a failure naming the parameter that asked for it and the columns there are.
    func column(_ name: String, for parameter: String) throws -> Column {
        guard let column = self[name] else {
            throw StageFailure("\(parameter) names '\(name)', which is not a column of the table (columns: \(names.joined(separator: ", ")))")
        }
        return column
    }

    /// The column `name` as numbers (Bool as 0/1, missing as NaN); text is refused with a failure
    /// naming the parameter and ending with `hint`.
    func numbers(_ name: String, for parameter: String, hint: String = "it must hold numbers") throws -> [Double] {
        guard let values = try column(name, for: parameter).numericValues() else {
            throw StageFailure("\(parameter) names '\(name)', which is text; \(hint)")
        }
        return values
    }

    /// The artifact bytes of the table.
    var artifact: Artifact { .bytes(BinaryTableFormat.data(self)) }
}
