import Foundation
/// What kind of content an artifact holds; ports of different kinds cannot be connected,
/// except through `any`.
public struct ArtifactKind: Sendable, Hashable, Codable, RawRepresentable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Any file; connects to every kind.
    public static let any = ArtifactKind(rawValue: "any")
    /// A table in Paperflow's binary columnar format.
    public static let table = ArtifactKind(rawValue: "table")
    /// A JSON document (model fits, reports).
    public static let json = ArtifactKind(rawValue: "json")
    /// Plain text (Markdown, LaTeX, CSV, logs).
    public static let text = ArtifactKind(rawValue: "text")

    /// Whether an output of kind `self` may feed an input of kind `input`.
    public func canFeed(_ input: ArtifactKind) -> Bool {
        self == input || self == .any || input == .any
    }

    public var description: String { rawValue }
}

/// An input or output port of a stage.
public struct PortSpec: Sendable, Hashable {
    /// The port's name, as used in `inputs:` and in `stage.output` references.
    public var name: String
    /// What it carries.
    public var kind: ArtifactKind
    /// Inputs only: whether several artifacts may be bound (a list, or a matrix stage's outputs).
    public var multiple: Bool
    /// Inputs only: whether the port may be left unbound.
    public var optional: Bool
    /// Outputs only: the file name of the human-facing copy under `Artifacts/<workflow>/<stage>/`.
    public var fileName: String?
    /// One line of documentation.
    public var summary: String

    /// Creates a port.
    public init(_ name: String, kind: ArtifactKind = .any, multiple: Bool = false, optional: Bool = false,
                fileName: String? = nil, summary: String = "") {
        self.name = name
        self.kind = kind
        self.multiple = multiple
        self.optional = optional
        self.fileName = fileName
        self.summary = summary
    }
}

/// The type a parameter's value must have.
public indirect enum ParamType: Sendable, Hashable, CustomStringConvertible {
    case string
    case int
    /// A number; integers are accepted.
    case double
    case bool
    /// A path inside the project, relative to its root; one escaping the project is an error.
    case path
    /// One of a fixed set of strings.
    case oneOf([String])
    case list(ParamType)
    /// A map from names to values of one type.
    case map(ParamType)
    /// Either of two types (e.g. a string or a list of strings).
    case either(ParamType, ParamType)
    /// Anything: the stage checks it.
    case any

    /// Why `value` does not have this type, or `nil` when it does.
    public func mismatch(_ value: ParamValue) -> String? {
        switch (self, value) {
        case (.any, _), (.string, .string), (.path, .string), (.int, .int), (.double, .int), (.double, .double),
             (.bool, .bool):
            return nil
        case let (.oneOf(choices), .string(s)):
            return choices.contains(s) ? nil : "'\(s)' is not one of \(choices.joined(separator: ", "))"
        case let (.list(element), .list(items)):
            for (index, item) in items.enumerated() {
                if let problem = element.mismatch(item) { return "element \(index + 1): \(problem)" }
            }
            return nil
        case let (.map(element), .map(entries)):
            for key in entries.keys.sorted() {
                if let problem = element.mismatch(entries[key]!) { return "entry '\(key)': \(problem)" }
            }
            return nil
        case let (.either(a, b), _):
            if a.mismatch(value) == nil || b.mismatch(value) == nil { return nil }
            return "expected \(self), found \(Self.describe(value))"
        default:
            return "expected \(self), found \(Self.describe(value))"
        }
    }

    static func describe(_ value: ParamValue) -> String {
        if case let .string(s) = value { return "the string '\(s)'" }
        return "\(value.typeDescription) \(value)"
    }

    /// The plural noun phrase, for list and map descriptions.
    var plural: String {
        switch self {
        case .string: return "strings"
        case .int: return "integers"
        case .double: return "numbers"
        case .bool: return "booleans"
        case .path: return "paths inside the project"
        case let .oneOf(choices): return "values from \(choices.joined(separator: " | "))"
        case let .list(element): return "lists of \(element.plural)"
        case let .map(element): return "maps of names to \(element.plural)"
        case let .either(a, b): return "\(a.plural) or \(b.plural)"
        case .any: return "values"
        }
    }

    public var description: String {
        switch self {
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "a boolean (true or false)"
        case .path: return "a path inside the project"
        case let .oneOf(choices): return "one of \(choices.joined(separator: " | "))"
        case let .list(element): return "a list of \(element.plural)"
        case let .map(element): return "a map of names to \(element.plural)"
        case let .either(a, b): return "\(a) or \(b)"
        case .any: return "any value"
        }
    }
}

/// A parameter a stage accepts under `with:`.
public struct ParamSpec: Sendable, Hashable {
    /// The parameter's name.
    public var name: String
    /// The type its value must have.
    public var type: ParamType
    /// The value used when the workflow gives none; `nil` with `required == false` means absent.
    public var defaultValue: ParamValue?
    /// Whether the workflow must give it.
    public var required: Bool
    /// One line of documentation.
    public var summary: String
    /// A command line for `/bin/sh`: `${params.X}` values spliced into it are shell-quoted.
    public var shellCommand: Bool

    /// Creates a parameter spec.
    public init(_ name: String, _ type: ParamType, required: Bool = false, default defaultValue: ParamValue? = nil,
                shellCommand: Bool = false, summary: String = "") {
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.shellCommand = shellCommand
        self.summary = summary
    }
}

/// How much of the machine a stage needs; the scheduler never runs two memory-heavy stages at once.
public enum StageCost: String, Sendable, Hashable, Codable {
    case light
    case memoryHeavy = "memory-heavy"
}

/// Everything the engine knows about a stage before running it: ports, parameters, docs.
public struct StageSignature: Sendable {
    /// One line: what the stage does.
    public var summary: String
    /// Longer documentation: formula, paper, reference implementation.
    public var documentation: String
    /// Input ports.
    public var inputs: [PortSpec]
    /// Output ports known in advance.
    public var outputs: [PortSpec]
    /// Parameters.
    public var params: [ParamSpec]
    /// A `map` parameter whose keys name further output ports and whose values are their file
    /// names (`shell`'s `outs`).
    public var outputsFromParam: String?
    /// Parameters naming project files the stage reads; their content digests enter the key.
    public var fileParams: [String]
    /// Pairs (path parameter, output port): after a run or a cache hit the engine makes sure the
    /// file at the path holds that output (what `io.export` is for).
    public var materializedOutputs: [(param: String, output: String)]
    /// Scheduling hint.
    public var cost: StageCost

    /// Creates a signature.
    public init(summary: String, documentation: String = "", inputs: [PortSpec] = [], outputs: [PortSpec] = [],
                params: [ParamSpec] = [], outputsFromParam: String? = nil, fileParams: [String] = [],
                materializedOutputs: [(param: String, output: String)] = [], cost: StageCost = .light,
                keyedEnvironment: [String] = [], lint: StageLint? = nil) {
        self.keyedEnvironment = keyedEnvironment
        self.lint = lint
        self.summary = summary
        self.documentation = documentation
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self.outputsFromParam = outputsFromParam
        self.fileParams = fileParams
        self.materializedOutputs = materializedOutputs
        self.cost = cost
    }

    /// Environment variables whose values change the stage's outputs: part of its key.
    public var keyedEnvironment: [String]
    /// Warnings about resolved parameters that are legal but probably wrong (checked at validation).
    public var lint: StageLint?

    /// The parameter spec named `name`.
    public func param(_ name: String) -> ParamSpec? { params.first { $0.name == name } }
}

/// A stage's check of its resolved parameters against the project: each finding names the
/// parameter it is about, what is wrong and the fix; the validator prints it as a warning there.
public typealias StageLint = @Sendable (_ params: [String: ParamValue], _ projectRoot: URL) -> [LintFinding]

/// One finding of a `StageLint`.
public struct LintFinding: Sendable, Hashable {
    public var param: String
    public var message: String
    public var hint: String
    /// An error (nothing runs) rather than a warning: the parameter cannot work, as a formula
    /// that does not parse.
    public var isError: Bool

    public init(param: String, message: String, hint: String, isError: Bool = false) {
        self.param = param
        self.message = message
        self.hint = hint
        self.isError = isError
    }
}
