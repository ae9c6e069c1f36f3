import Foundation
import Yams

/// Turns YAML text into a `YAMLNode` tree with Yams' `compose`, mapping every failure to a
/// diagnostic at its line and column.
///
/// Aliases are shared subtrees in Yams' node values, so composing a "billion laughs" document is
/// cheap; expanding it is not. The conversion counts every node it produces and stops at
/// `nodeBudget`, reporting an alias bomb instead of exhausting memory.
public struct YAMLComposer: Sendable {
    /// The most nodes one document may expand to (aliases counted at every use).
    public var nodeBudget: Int
    /// Where trees of long texts are kept by digest (nil: always compose).
    public var cache: YAMLTreeCache?

    /// Creates a composer; the default budget is far above any real workflow.
    public init(nodeBudget: Int = 200_000, cache: YAMLTreeCache? = nil) {
        self.nodeBudget = nodeBudget
        self.cache = cache
    }

    /// Composes `text`, read from `file`; `nil` for an empty document.
    /// - Throws: `DiagnosticsError` for a syntax error, a duplicate key or an alias bomb.
    public func compose(_ text: String, file: String) throws -> YAMLNode? {
        guard let cache, text.utf8.count >= YAMLTreeCache.minimumLength else { return try composeText(text, file: file) }
        let (cached, name) = cache.tree(of: text, file: file)
        if let cached { return cached }
        let node = try composeText(text, file: file)
        if let node { cache.store(node, name: name) }
        return node
    }

    private func composeText(_ text: String, file: String) throws -> YAMLNode? {
        let root: Node?
        do {
            // The basic resolver tags every scalar as a string: scalar types are resolved later,
            // by YAML 1.2 rules (YAMLScalarResolver), and it spares Yams a regular-expression
            // match per scalar when it hashes mapping keys to find duplicates.
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            throw DiagnosticsError([Self.diagnostic(for: error, text: text, file: file)])
        }
        guard let root else { return nil }
        var remaining = nodeBudget
        return try convert(root, file: file, remaining: &remaining)
    }

    private func convert(_ node: Node, file: String, remaining: inout Int) throws -> YAMLNode {
        remaining -= 1
        let location = Self.location(node.mark, file: file)
        if remaining < 0 {
            throw DiagnosticsError([Diagnostic(
                at: location,
                "the document expands to more than \(nodeBudget) nodes: an alias bomb (aliases of aliases) or a runaway file",
                hint: "use each anchor's content directly instead of nesting aliases (`*name`) of lists of aliases"
            )])
        }
        switch node {
        case let .scalar(scalar):
            let style: YAMLNode.ScalarStyle
            switch scalar.style {
            case .plain, .any: style = .plain
            case .singleQuoted, .doubleQuoted: style = .quoted
            case .literal, .folded: style = .block
            }
            return YAMLNode(.scalar(scalar.string, style), at: location)
        case let .sequence(sequence):
            var items: [YAMLNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try convert(item, file: file, remaining: &remaining)) }
            return YAMLNode(.sequence(items), at: location)
        case let .mapping(mapping):
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            pairs.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                pairs.append((try convert(key, file: file, remaining: &remaining),
                              try convert(value, file: file, remaining: &remaining)))
            }
            return YAMLNode(.mapping(pairs), at: location)
        case let .alias(alias):
            throw DiagnosticsError([Diagnostic(at: Self.location(alias.mark, file: file),
                                               "unresolved alias '*\(alias.anchor.rawValue)'",
                                               hint: "define the anchor '&\(alias.anchor.rawValue)' before using it")])
        }
    }

    static func location(_ mark: Mark?, file: String) -> SourceLocation {
        SourceLocation(file: file, line: max(mark?.line ?? 1, 1), column: max(mark?.column ?? 1, 1))
    }

    static func diagnostic(for error: YamlError, text: String, file: String) -> Diagnostic {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context { message += " \(context.text) at \(context.mark.line):\(context.mark.column)" }
            // `[model[1,probit].fit]`: a matrix member's name inside a flow list reads as a list.
            let line = String(text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(max(mark.line - 1, 0)).first ?? "")
            if message.contains("flow"), let bracketed = line.range(of: #"[A-Za-z0-9_.-]+\[[^\]\s]*\]\.[A-Za-z0-9_]+"#, options: .regularExpression) {
                return Diagnostic(at: location(mark, file: file), message + ": a matrix stage's name has brackets, which YAML reads as a list",
                                  hint: "quote the reference inside [ ], e.g. [\"\(line[bracketed])\"]")
            }
            return Diagnostic(at: location(mark, file: file), message,
                              hint: "check the indentation and quoting on this line and the one before it")
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? "?"
            let first = location(context.mark, file: file)
            let second = secondOccurrence(of: key, line: context.mark.line, column: context.mark.column, in: text)
                .map { SourceLocation(file: file, line: $0.line, column: $0.column) }
            return Diagnostic(at: second ?? first,
                              "duplicate key '\(key)'" + (second != nil ? "; first defined at \(first.line):\(first.column)" : ""),
                              hint: "remove one of the two entries or rename it; YAML keeps only one")
        case let .reader(problem, offset, _, _):
            return Diagnostic(at: SourceLocation(file: file, line: 1, column: 1),
                              "cannot read the file as text: \(problem)" + (offset.map { " at byte \($0)" } ?? ""),
                              hint: "save the workflow as UTF-8")
        default:
            return Diagnostic(at: SourceLocation(file: file, line: 1, column: 1), "YAML error: \(error)")
        }
    }

    /// libyaml reports the first of two equal keys; editors want the second, which is the mistake.
    /// Looks for the same key text at the same column in the following lines (block mappings),
    /// or later on the same line (flow mappings).
    static func secondOccurrence(of key: String, line: Int, column markColumn: Int, in text: String) -> (line: Int, column: Int)? {
        let mark = (line: line, column: markColumn)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let firstLine = Array(lines[mark.line - 1].unicodeScalars)
        let keyScalars = Array(key.unicodeScalars)
        func keyStarts(_ scalars: [Unicode.Scalar], at column: Int) -> Bool {
            let start = column - 1
            guard start >= 0, start + keyScalars.count <= scalars.count,
                  Array(scalars[start..<start + keyScalars.count]) == keyScalars else { return false }
            var rest = scalars[(start + keyScalars.count)...].drop { $0 == " " || $0 == "\"" || $0 == "'" }
            guard rest.first == ":" else { return false }
            rest = rest.dropFirst()
            return true
        }
        var column = mark.column + keyScalars.count
        while column <= firstLine.count {
            if keyStarts(firstLine, at: column), column == 1 || " {,\t".unicodeScalars.contains(firstLine[column - 2]) {
                return (mark.line, column)
            }
            column += 1
        }
        for lineIndex in mark.line..<lines.count {
            let scalars = Array(lines[lineIndex].unicodeScalars)
            let indent = scalars.prefix { $0 == " " }.count
            if indent + 1 < mark.column, !scalars.allSatisfy({ $0 == " " }),
               scalars.dropFirst(indent).first != "#" {
                return nil
            }
            if indent + 1 == mark.column, keyStarts(scalars, at: mark.column) {
                return (lineIndex + 1, mark.column)
            }
        }
        return nil
    }
}
