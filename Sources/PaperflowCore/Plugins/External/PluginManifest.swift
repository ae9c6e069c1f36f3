import Foundation

/// What `Plugins/NAME/plugin.yaml` declares: identity, the command, ports, parameters, limits.
///
/// ```yaml
/// id: statsmodels.probit           # what workflows write after uses: (with @version)
/// version: 1                       # part of the key; so is the folder's content hash
/// summary: Probit in statsmodels
/// command: [sh, run.sh]            # run with the request file's path appended
/// timeout: 600                     # seconds (optional)
/// cost: light                      # or memory-heavy
/// inputs:
///   table: {type: table, format: csv, summary: the estimation sample}
/// outputs:
///   fit: {type: json, file: fit.json}
/// params:
///   formula: {type: string, required: true}
///   vcov: {type: any, default: classical}
/// ```
/// Port types are `table`, `json`, `text`, `any`; a table port's `format` is `binary` (the
/// artifact as stored) or `csv` (converted for the plugin, or from its output). Parameter types:
/// `string`, `integer`, `number`, `boolean`, `path`, `list`, `map`, `any`, or `choices: [...]`.
public struct PluginManifest: Sendable {
    /// How a table crosses the process boundary.
    public enum TableFormat: String, Sendable {
        case binary, csv
    }

    /// A port with the format the plugin reads or writes it in.
    public struct Port: Sendable {
        public var spec: PortSpec
        public var format: TableFormat
        /// The file name the plugin writes (outputs) or is given (inputs) in that format.
        public var pluginFile: String
    }

    public var id: String
    public var version: Int
    public var summary: String
    public var documentation: String
    /// The program and its first arguments; the request file's path is appended.
    public var command: [String]
    public var timeout: Double?
    public var cost: StageCost
    public var inputs: [Port]
    public var outputs: [Port]
    public var params: [ParamSpec]
    /// The manifest file, as the user would name it (`Plugins/NAME/plugin.yaml`).
    public var file: String
    /// Where the id is written (for a clash with another plugin or a built-in).
    public var idLocation: SourceLocation

    /// The signature the validator checks workflows against.
    public var signature: StageSignature {
        StageSignature(summary: summary, documentation: documentation, inputs: inputs.map(\.spec),
                       outputs: outputs.map(\.spec), params: params, cost: cost)
    }

    /// Reads a manifest from its text.
    /// - Throws: `DiagnosticsError` naming every problem at its line and column.
    public static func parse(_ text: String, file: String) throws -> PluginManifest {
        guard let root = try YAMLComposer().compose(text, file: file) else {
            throw DiagnosticsError([Diagnostic(at: SourceLocation(file: file, line: 1, column: 1), "the plugin manifest is empty",
                                               hint: "declare at least id, version, command and outputs")])
        }
        var reader = ManifestReader(file: file)
        let manifest = reader.read(root)
        if !reader.problems.isEmpty { throw DiagnosticsError(reader.problems) }
        return manifest!
    }
}

/// Builds a manifest from the node tree, collecting every problem.
private struct ManifestReader {
    let file: String
    var problems: [Diagnostic] = []

    mutating func error(_ location: SourceLocation, _ message: String, hint: String? = nil) {
        problems.append(Diagnostic(at: location, message, hint: hint))
    }

    mutating func read(_ root: YAMLNode) -> PluginManifest? {
        guard let pairs = root.pairs else {
            error(root.location, "a plugin manifest must be a map (id:, version:, command:, ...), found \(root.shapeDescription)")
            return nil
        }
        let known = ["id", "version", "summary", "documentation", "command", "timeout", "cost", "inputs", "outputs", "params"]
        var fields: [String: YAMLNode] = [:]
        for (key, value) in pairs {
            let name = key.scalarText ?? ""
            guard known.contains(name) else {
                error(key.location, "unknown field '\(name)' in a plugin manifest" + NameSuggestion.didYouMean(name, in: known),
                      hint: "the fields are \(known.joined(separator: ", "))")
                continue
            }
            fields[name] = value
        }
        var manifest = PluginManifest(id: "", version: 1, summary: "", documentation: "", command: [], timeout: nil, cost: .light,
                                      inputs: [], outputs: [], params: [], file: file, idLocation: root.location)
        if let node = require(fields, "id", in: root, hint: "e.g. id: statsmodels.probit") {
            manifest.idLocation = node.location
            if let id = node.scalarText, id.range(of: #"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$"#, options: .regularExpression) != nil {
                manifest.id = id
            } else {
                error(node.location, "id must be lowercase words joined by dots or dashes, found '\(node.scalarText ?? node.shapeDescription)'",
                      hint: "e.g. id: statsmodels.probit")
            }
        }
        if let node = require(fields, "version", in: root, hint: "version: 1; bump it when the outputs change") {
            if case let .int(value) = node.value, value >= 1 { manifest.version = Int(value) } else {
                error(node.location, "version must be a positive integer, found \(node.scalarText.map { "'\($0)'" } ?? node.shapeDescription)")
            }
        }
        manifest.summary = fields["summary"]?.scalarText ?? ""
        manifest.documentation = fields["documentation"]?.scalarText ?? ""
        if let node = require(fields, "command", in: root, hint: "e.g. command: [python3, plugin.py]") {
            switch node.kind {
            case let .scalar(text, _) where !text.isEmpty: manifest.command = [text]
            case let .sequence(items) where !items.isEmpty && items.allSatisfy({ $0.scalarText?.isEmpty == false }):
                manifest.command = items.compactMap(\.scalarText)
            default:
                error(node.location, "command must be a program or a list [program, arguments...], found \(node.shapeDescription)",
                      hint: "e.g. command: [python3, plugin.py]; the request file's path is appended")
            }
        }
        if let node = fields["timeout"] {
            if let seconds = node.value.doubleValue, seconds > 0 { manifest.timeout = seconds } else {
                error(node.location, "timeout must be a positive number of seconds, found \(node.scalarText.map { "'\($0)'" } ?? node.shapeDescription)")
            }
        }
        if let node = fields["cost"] {
            if let cost = node.scalarText.flatMap(StageCost.init(rawValue:)) { manifest.cost = cost } else {
                error(node.location, "cost must be light or memory-heavy")
            }
        }
        manifest.inputs = ports(fields["inputs"], output: false)
        manifest.outputs = ports(fields["outputs"], output: true)
        if manifest.outputs.isEmpty, fields["outputs"] == nil {
            error(root.location, "the plugin declares no outputs", hint: "add outputs: {NAME: {type: json, file: NAME.json}}")
        }
        manifest.params = params(fields["params"])
        return manifest
    }

    mutating func require(_ fields: [String: YAMLNode], _ name: String, in root: YAMLNode, hint: String) -> YAMLNode? {
        if let node = fields[name] { return node }
        error(root.location, "the plugin manifest has no '\(name)'", hint: hint)
        return nil
    }

    mutating func entries(_ node: YAMLNode?, what: String) -> [(name: String, fields: [String: YAMLNode])] {
        guard let node else { return [] }
        guard let pairs = node.pairs else {
            error(node.location, "'\(what)' must be a map of names to declarations, found \(node.shapeDescription)")
            return []
        }
        var result: [(String, [String: YAMLNode])] = []
        for (key, value) in pairs {
            guard let name = key.scalarText, Self.isValidName(name) else {
                error(key.location, "'\(key.scalarText ?? "?")' is not a valid \(what) name (letters, digits, '-' and '_')")
                continue
            }
            var fields: [String: YAMLNode] = [:]
            if let inner = value.pairs {
                for (fieldKey, fieldValue) in inner { fields[fieldKey.scalarText ?? ""] = fieldValue }
            } else if value.scalarText != nil {
                fields["type"] = value  // the short form `name: json`
            } else {
                error(value.location, "'\(name)' must be a map like {type: table}, found \(value.shapeDescription)")
                continue
            }
            result.append((name, fields))
        }
        return result
    }

    mutating func ports(_ node: YAMLNode?, output: Bool) -> [PluginManifest.Port] {
        let what = output ? "outputs" : "inputs"
        let allowed = output ? ["type", "format", "file", "summary"] : ["type", "format", "optional", "multiple", "summary"]
        return entries(node, what: what).compactMap { name, fields in
            for (field, value) in fields where !allowed.contains(field) {
                error(value.location, "unknown field '\(field)' in \(what).\(name)" + NameSuggestion.didYouMean(field, in: allowed),
                      hint: "the fields are \(allowed.joined(separator: ", "))")
            }
            let kinds: [ArtifactKind] = [.table, .json, .text, .any]
            var kind = ArtifactKind.any
            if let node = fields["type"] {
                if let found = kinds.first(where: { $0.rawValue == node.scalarText }) { kind = found } else {
                    error(node.location, "\(what).\(name): type must be one of table, json, text, any, found '\(node.scalarText ?? node.shapeDescription)'")
                }
            }
            var format = PluginManifest.TableFormat.binary
            if let node = fields["format"] {
                if let found = node.scalarText.flatMap(PluginManifest.TableFormat.init(rawValue:)), kind == .table {
                    format = found
                } else {
                    error(node.location, "\(what).\(name): format is binary or csv, and only for type: table")
                }
            }
            // The file the plugin reads or writes, and the stored artifact's view name (a CSV
            // output is stored as a binary table).
            let natural = name + (kind == .json ? ".json" : kind == .table ? (format == .csv ? ".csv" : ".pftable") : "")
            var pluginFile = natural
            if let node = fields["file"] {
                if let text = node.scalarText, !text.isEmpty, !text.contains("/"), text != ".", text != ".." {
                    pluginFile = text
                } else {
                    error(node.location, "\(what).\(name): file must be a plain file name (no '/'), found '\(node.scalarText ?? node.shapeDescription)'")
                }
            }
            let viewName = kind == .table && format == .csv ? name + ".pftable" : pluginFile
            let spec = PortSpec(name, kind: kind, multiple: flag(fields["multiple"], "\(what).\(name).multiple"),
                                optional: flag(fields["optional"], "\(what).\(name).optional"),
                                fileName: output ? viewName : nil, summary: fields["summary"]?.scalarText ?? "")
            return PluginManifest.Port(spec: spec, format: format, pluginFile: pluginFile)
        }
    }

    mutating func flag(_ node: YAMLNode?, _ what: String) -> Bool {
        guard let node else { return false }
        if let value = node.value.boolValue { return value }
        error(node.location, "\(what) must be true or false")
        return false
    }

    mutating func params(_ node: YAMLNode?) -> [ParamSpec] {
        let allowed = ["type", "choices", "default", "required", "summary", "of"]
        return entries(node, what: "params").compactMap { name, fields in
            for (field, value) in fields where !allowed.contains(field) {
                error(value.location, "unknown field '\(field)' in params.\(name)" + NameSuggestion.didYouMean(field, in: allowed),
                      hint: "the fields are \(allowed.joined(separator: ", "))")
            }
            var type = ParamType.any
            if let choices = fields["choices"] {
                if case let .sequence(items) = choices.kind, !items.isEmpty, items.allSatisfy({ $0.scalarText != nil }) {
                    type = .oneOf(items.compactMap(\.scalarText))
                } else {
                    error(choices.location, "params.\(name).choices must be a list of strings")
                }
            } else if let node = fields["type"] {
                if let parsed = Self.paramType(node.scalarText ?? "", of: fields["of"]?.scalarText) { type = parsed } else {
                    error(node.location, "params.\(name): unknown type '\(node.scalarText ?? node.shapeDescription)'",
                          hint: "use string, integer, number, boolean, path, list, map or any (list and map take of: TYPE)")
                }
            }
            let required = flag(fields["required"], "params.\(name).required")
            let defaultValue = fields["default"]?.value
            if let defaultValue, let node = fields["default"], let problem = type.mismatch(defaultValue) {
                error(node.location, "params.\(name): the default does not have the declared type: \(problem)")
            }
            return ParamSpec(name, type, required: required, default: defaultValue, summary: fields["summary"]?.scalarText ?? "")
        }
    }

    /// Port and parameter names: what a workflow can write after `inputs:` and `with:`.
    static func isValidName(_ name: String) -> Bool {
        name.range(of: #"^[A-Za-z_][A-Za-z0-9_-]*$"#, options: .regularExpression) != nil
    }

    static func paramType(_ name: String, of element: String?) -> ParamType? {
        switch name {
        case "string": return .string
        case "integer", "int": return .int
        case "number", "double": return .double
        case "boolean", "bool": return .bool
        case "path": return .path
        case "any": return .any
        case "list": return .list(element.flatMap { paramType($0, of: nil) } ?? .any)
        case "map": return .map(element.flatMap { paramType($0, of: nil) } ?? .any)
        default: return nil
        }
    }
}
