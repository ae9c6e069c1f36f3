/// A `--set path=value` override from the command line.
///
/// Paths: `params.NAME`, `stages.STAGE.uses`, `stages.STAGE.with.NAME`,
/// `stages.STAGE.matrix.NAME`, `stages.STAGE.inputs.PORT`. The value is YAML
/// (`--set params.years=[2002,2016]`), resolved like the file's own values.
public struct Override: Sendable, Hashable {
    /// The dotted path's components.
    public var path: [String]
    /// The value's YAML text.
    public var valueText: String
    /// The argument as given, for messages and run records.
    public var argument: String
    /// 1-based position among the `--set` arguments, used as the line of its location.
    public var index: Int

    /// Parses `path=value`.
    /// - Throws: `DiagnosticsError` when there is no `=` or the path is empty.
    public init(parsing argument: String, index: Int) throws {
        self.argument = argument
        self.index = index
        guard let equals = argument.firstIndex(of: "=") else {
            throw DiagnosticsError([Diagnostic(at: SourceLocation(file: "--set", line: index, column: 1),
                                               "override '\(argument)' has no '='",
                                               hint: "write it as path=value, e.g. --set params.seed=7")])
        }
        path = argument[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        valueText = String(argument[argument.index(after: equals)...])
        if path.contains(where: \.isEmpty) {
            throw DiagnosticsError([Diagnostic(at: SourceLocation(file: "--set", line: index, column: 1),
                                               "override '\(argument)' has an empty path component",
                                               hint: "paths look like params.seed or stages.model.with.vcov")])
        }
    }

    /// Where the value starts, as a location diagnostics can name.
    public var valueLocation: SourceLocation {
        SourceLocation(file: "--set", line: index, column: path.joined(separator: ".").count + 2)
    }
}
