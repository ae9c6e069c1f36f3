/// One problem found in a workflow, printed clang-style: `FILE:LINE:COL: error: MESSAGE`.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning, note
    }

    /// Error, warning or note.
    public var severity: Severity
    /// Where the problem is; `nil` only for problems with no place in a file.
    public var location: SourceLocation?
    /// What is wrong, quoting the offending value.
    public var message: String
    /// How to fix it, printed on the next line.
    public var hint: String?

    /// Creates a diagnostic.
    public init(_ severity: Severity = .error, at location: SourceLocation?, _ message: String, hint: String? = nil) {
        self.severity = severity
        self.location = location
        self.message = message
        self.hint = hint
    }

    /// The one-line form without the hint: `file:line:col: error: message`.
    public var headline: String {
        let place = location.map { "\($0): " } ?? ""
        return "\(place)\(severity.rawValue): \(message)"
    }

    /// The headline and, when there is one, the hint on its own indented line.
    public var description: String { rendered(color: false) }

    /// Renders the diagnostic, with ANSI colour when `color` is true (terminals only).
    public func rendered(color: Bool) -> String {
        let place = location.map { "\($0): " } ?? ""
        let label: String
        if color {
            let code = severity == .error ? "31" : severity == .warning ? "35" : "36"
            label = "\u{1B}[1;\(code)m\(severity.rawValue):\u{1B}[0m\u{1B}[1m"
        } else {
            label = "\(severity.rawValue):"
        }
        var text = color ? "\u{1B}[1m\(place)\(label) \(message)\u{1B}[0m" : "\(place)\(label) \(message)"
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}

/// Thrown when loading or validating a workflow found problems; carries all of them.
public struct DiagnosticsError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, in file order.
    public var diagnostics: [Diagnostic]

    /// Creates the error, sorting the diagnostics by location.
    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sorted { a, b in
            switch (a.location, b.location) {
            case let (l?, r?): return l < r
            case (nil, _?): return true
            default: return false
            }
        }
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
