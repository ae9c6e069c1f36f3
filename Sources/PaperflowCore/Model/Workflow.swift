/// A plugin named in a workflow: `models.probit@1` is id `models.probit`, major version 1.
public struct PluginReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The plugin id, e.g. `relatedness.density`.
    public var id: String
    /// The major version the workflow asks for; `nil` (no `@N`) is refused by validation with the
    /// current version suggested.
    public var major: Int?

    /// Creates a reference.
    public init(id: String, major: Int?) {
        self.id = id
        self.major = major
    }

    /// Parses `id` or `id@major`; `nil` when the text after `@` is not a whole number.
    public init?(parsing text: String) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, !first.isEmpty else { return nil }
        if parts.count == 2 {
            guard let major = Int(parts[1]), major >= 0 else { return nil }
            self.init(id: String(first), major: major)
        } else {
            self.init(id: String(first), major: nil)
        }
    }

    public var description: String { major.map { "\(id)@\($0)" } ?? id }
}

/// A reference to another stage's output: `customs.records`.
public struct OutputReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The producing stage's name (a matrix base name such as `model` before resolution).
    public var stage: String
    /// The output port of that stage.
    public var output: String

    /// Creates a reference.
    public init(stage: String, output: String) {
        self.stage = stage
        self.output = output
    }

    /// Parses `stage.output`, where the stage part may carry a matrix suffix (`model[logit].fit`).
    public init?(parsing text: String) {
        var depth = 0
        for index in text.indices {
            switch text[index] {
            case "[": depth += 1
            case "]": depth -= 1
            case "." where depth == 0:
                let stage = String(text[..<index])
                let output = String(text[text.index(after: index)...])
                guard !stage.isEmpty, !output.isEmpty else { return nil }
                self.init(stage: stage, output: output)
                return
            default: break
            }
        }
        return nil
    }

    public var description: String { "\(stage).\(output)" }
}

/// One `with:` entry (or workflow `params:` entry) with where its key and value were written.
public struct ParameterEntry: Sendable, Hashable {
    /// The parameter's name.
    public var name: String
    /// Its value after `${params.X}` substitution and `--set` overrides.
    public var value: ParamValue
    /// Where the key was written.
    public var keyLocation: SourceLocation
    /// Where the value was written (the `--set` argument for overrides).
    public var valueLocation: SourceLocation
    /// For text with `${params.X}` spliced in: the same text with each spliced value
    /// shell-quoted (`${params.X:raw}` splices stay as written). A parameter whose spec is a
    /// shell command takes this form, so a value cannot become code.
    public var shellQuotedValue: ParamValue?

    /// Creates an entry.
    public init(name: String, value: ParamValue, keyLocation: SourceLocation, valueLocation: SourceLocation,
                shellQuotedValue: ParamValue? = nil) {
        self.name = name
        self.value = value
        self.keyLocation = keyLocation
        self.valueLocation = valueLocation
        self.shellQuotedValue = shellQuotedValue
    }
}

/// One `inputs:` entry: a port bound to one or more upstream outputs.
public struct InputBinding: Sendable, Hashable {
    /// The input port.
    public var port: String
    /// The outputs feeding it, in the order written.
    public var sources: [Located<OutputReference>]
    /// Where the port's key was written.
    public var location: SourceLocation

    /// Creates a binding.
    public init(port: String, sources: [Located<OutputReference>], location: SourceLocation) {
        self.port = port
        self.sources = sources
        self.location = location
    }
}

/// A stage as written in the workflow, after matrix expansion.
public struct StageSpec: Sendable, Hashable {
    /// The stage name; matrix expansions are `base[value]`.
    public var name: String
    /// The name before matrix expansion (equal to `name` for ordinary stages).
    public var baseName: String
    /// Where the stage's key was written.
    public var location: SourceLocation
    /// The plugin it runs.
    public var uses: Located<PluginReference>
    /// Its input bindings, in the order written.
    public var inputs: [InputBinding]
    /// Its parameters, in the order written.
    public var parameters: [ParameterEntry]
    /// `confidential:` as written: `true` keeps its outputs on this machine, `false` releases
    /// them though an upstream stage is confidential, `nil` inherits from upstream.
    public var confidential: Bool? = nil
    /// `data:` — what its data are and who may have them (not in the key).
    public var data: DataStatement? = nil
    /// `label:` — the paper's name for what it makes (not in the key).
    public var label: ExhibitLabel? = nil
    /// `resources:` — what a cluster job running it asks for (not in the key).
    public var resources: StageResources? = nil

    /// Creates a stage spec.
    public init(name: String, baseName: String, location: SourceLocation, uses: Located<PluginReference>,
                inputs: [InputBinding], parameters: [ParameterEntry]) {
        self.name = name
        self.baseName = baseName
        self.location = location
        self.uses = uses
        self.inputs = inputs
        self.parameters = parameters
    }
}

/// A workflow file's content: metadata, workflow-level params and stages.
public struct Workflow: Sendable, Hashable {
    /// The workflow's name (`workflow:`), used for `Artifacts/<name>/` and `Workflows/<name>.lock`.
    public var name: String
    /// A human title.
    public var title: String?
    /// The paper it reproduces (free-form map: authors, year, doi).
    public var paper: ParamValue?
    /// The file it was loaded from, as the user named it.
    public var file: String
    /// Workflow-level parameters after overrides.
    public var params: [ParameterEntry]
    /// Stages in file order, matrix stages expanded in place.
    public var stages: [StageSpec]
    /// `executor:` — where its stages run (`run --executor` overrides it).
    public var executor: ExecutorKind? = nil
    /// `resources:` — every stage's defaults under the Slurm executor.
    public var resources: StageResources? = nil

    /// Creates a workflow.
    public init(name: String, title: String?, paper: ParamValue?, file: String, params: [ParameterEntry], stages: [StageSpec]) {
        self.name = name
        self.title = title
        self.paper = paper
        self.file = file
        self.params = params
        self.stages = stages
    }
}
