/// Writes an override into a workflow's own text (`paperflow exp apply`): the scalar at a path
/// is replaced where it stands, so comments, order and layout stay as the author wrote them.
public enum YAMLEditing {
    /// Why an override cannot be written into the file.
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// `text` with the scalar at `path` (mapping keys from the root) replaced by `replacement`
    /// (YAML, written as given).
    /// - Throws: `Problem` when the path is not in the file or does not end at a scalar.
    public static func replacingScalar(at path: [String], in text: String, file: String, with replacement: String) throws -> String {
        guard var node = try YAMLComposer().compose(text, file: file) else { throw Problem(description: "\(file) is empty") }
        for (depth, key) in path.enumerated() {
            guard let value = node.pairs?.first(where: { $0.key.scalarText == key })?.value else {
                let parent = path[..<depth].joined(separator: ".")
                throw Problem(description: "\(file) has no '\(path[...depth].joined(separator: "."))' to change"
                              + "; add '\(key): \(replacement)'" + (parent.isEmpty ? " at the top level" : " under '\(parent)'") + " by hand")
            }
            node = value
        }
        guard case let .scalar(_, style) = node.kind, style != .block else {
            throw Problem(description: "\(path.joined(separator: ".")) at \(node.location) is not a single value; edit it by hand")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let lineIndex = node.location.line - 1
        guard lineIndex < lines.count else { throw Problem(description: "\(node.location) is past the end of \(file)") }
        let characters = Array(lines[lineIndex])
        let start = node.location.column - 1
        guard start < characters.count else { throw Problem(description: "\(node.location): no value there") }
        var end = start
        if characters[start] == "\"" || characters[start] == "'" {
            let quote = characters[start]
            end = start + 1
            while end < characters.count {
                if quote == "\"", characters[end] == "\\" { end += 2; continue }
                if characters[end] == quote {
                    if quote == "'", end + 1 < characters.count, characters[end + 1] == "'" { end += 2; continue }
                    end += 1
                    break
                }
                end += 1
            }
        } else {
            // A plain scalar ends at a flow indicator, a comment or the end of the line.
            while end < characters.count, !",}]".contains(characters[end]),
                  !(characters[end] == "#" && end > start && characters[end - 1] == " ") { end += 1 }
            while end > start, characters[end - 1] == " " { end -= 1 }
        }
        lines[lineIndex] = String(characters[..<start]) + replacement + String(characters[min(end, characters.count)...])
        return lines.joined(separator: "\n")
    }
}
