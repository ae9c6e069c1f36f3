import Foundation

/// Loads a workflow file into a `Workflow`: YAML composition, `--set` overrides,
/// `${params.NAME}` substitution and `matrix:` expansion. Collects every problem it finds
/// before throwing them together as a `DiagnosticsError`.
public struct WorkflowLoader: Sendable {
    /// The YAML composer (and its alias budget).
    public var composer: YAMLComposer

    /// Creates a loader.
    public init(composer: YAMLComposer = YAMLComposer()) {
        self.composer = composer
    }

    /// Reads and loads the workflow at `url`, naming it `displayPath` in diagnostics.
    /// - Throws: `DiagnosticsError` listing every problem found.
    public func load(contentsOf url: URL, displayPath: String, overrides: [Override] = []) throws -> Workflow {
        var problems: [Diagnostic] = []
        let workflow = try load(contentsOf: url, displayPath: displayPath, overrides: overrides, problems: &problems)
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        return workflow
    }

    /// Reads and loads a workflow, collecting recoverable problems (see `load(text:file:overrides:problems:)`).
    public func load(contentsOf url: URL, displayPath: String, overrides: [Override], problems: inout [Diagnostic]) throws -> Workflow {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DiagnosticsError([Diagnostic(at: nil, "cannot read workflow '\(displayPath)': \(error.localizedDescription)",
                                               hint: "check the path; workflows live in Workflows/")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DiagnosticsError([Diagnostic(at: SourceLocation(file: displayPath, line: 1, column: 1),
                                               "the workflow is not valid UTF-8", hint: "save it as UTF-8")])
        }
        return try load(text: text, file: displayPath, overrides: overrides, problems: &problems)
    }

    /// Loads a workflow from its text.
    /// - Throws: `DiagnosticsError` listing every problem found.
    public func load(text: String, file: String, overrides: [Override] = []) throws -> Workflow {
        var problems: [Diagnostic] = []
        let workflow = try load(text: text, file: file, overrides: overrides, problems: &problems)
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        return workflow
    }

    /// Loads a workflow, appending recoverable problems to `problems` so that validation can
    /// still run and report its own in the same pass.
    /// - Throws: `DiagnosticsError` only for problems that leave no workflow to look at
    ///   (YAML syntax, duplicate keys, alias bombs, a document that is not a map).
    public func load(text: String, file: String, overrides: [Override], problems: inout [Diagnostic]) throws -> Workflow {
        guard var root = try composer.compose(text, file: file) else {
            throw DiagnosticsError([Diagnostic(at: SourceLocation(file: file, line: 1, column: 1),
                                               "the workflow file is empty",
                                               hint: "start with 'workflow: NAME' and a 'stages:' map")])
        }
        var builder = Builder(file: file)
        guard root.pairs != nil else {
            throw DiagnosticsError([Diagnostic(at: root.location, "a workflow must be a map, found \(root.shapeDescription)",
                                               hint: "start with 'workflow: NAME' and a 'stages:' map")])
        }
        for override in overrides {
            builder.apply(override, to: &root, composer: composer)
        }
        let workflow = builder.build(root)
        problems += builder.diagnostics
        return workflow
    }
}

/// The mutable state of one load: the file name and the problems found so far.
private struct Builder {
    let file: String
    var diagnostics: [Diagnostic] = []
    var params: [String: ParamValue] = [:]
    /// The matrix axes of the stage being built: `${matrix.NAME}` stays in its values until
    /// each member fills it in.
    var matrixAxes: [String] = []

    static let topLevelKeys = ["workflow", "title", "paper", "description", "params", "executor", "resources", "stages"]
    static let stageKeys = ["uses", "inputs", "with", "matrix", "description", "confidential", "data", "label", "resources"]
    static let resourceKeys = ["cpus", "mem", "time", "partition", "account", "qos", "sbatch", "retries", "local"]
    static let dataKeys = ["title", "citation", "doi", "url", "licence", "license", "licence_file", "access", "provided", "obtain",
                           "cost", "time", "replaces"]

    init(file: String) { self.file = file }

    mutating func error(_ location: SourceLocation, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(at: location, message, hint: hint))
    }

    // MARK: Overrides

    mutating func apply(_ override: Override, to root: inout YAMLNode, composer: YAMLComposer) {
        let location = override.valueLocation
        var value: YAMLNode
        do {
            value = try composer.compose(override.valueText, file: "--set")
                ?? YAMLNode(.scalar("", .plain), at: location)
        } catch let error as DiagnosticsError {
            diagnostics += error.diagnostics.map { var d = $0; d.location = location; return d }
            return
        } catch {
            self.error(location, "cannot parse the value of '\(override.argument)': \(error)")
            return
        }
        value.relocate(to: location)
        let path = override.path
        let head = SourceLocation(file: "--set", line: override.index, column: 1)
        switch path.first {
        case "params" where path.count == 2:
            guard replace(in: &root, path: ["params", path[1]], with: value, create: false) else {
                let known = root.child("params")?.pairs?.compactMap(\.key.scalarText) ?? []
                error(head, "'--set \(override.argument)': the workflow has no parameter '\(path[1])'"
                      + NameSuggestion.didYouMean(path[1], in: known),
                      hint: "declare it under 'params:' in the workflow first")
                return
            }
        case "stages" where path.count >= 3:
            let stage = path[1]
            guard root.child("stages")?.child(stage) != nil else {
                let known = root.child("stages")?.pairs?.compactMap(\.key.scalarText) ?? []
                error(head, "'--set \(override.argument)': the workflow has no stage '\(stage)'"
                      + NameSuggestion.didYouMean(stage, in: known))
                return
            }
            switch (path[2], path.count) {
            case ("uses", 3):
                _ = replace(in: &root, path: ["stages", stage, "uses"], with: value, create: true)
            case ("with", 4), ("matrix", 4), ("inputs", 4):
                _ = replace(in: &root, path: ["stages", stage, path[2], path[3]], with: value, create: true)
            default:
                error(head, "'--set \(override.argument)': cannot override '\(path.dropFirst(2).joined(separator: "."))' of a stage",
                      hint: "override stages.\(stage).uses, stages.\(stage).with.NAME, stages.\(stage).matrix.NAME or stages.\(stage).inputs.PORT")
            }
        default:
            error(head, "'--set \(override.argument)': unknown override path '\(path.joined(separator: "."))'",
                  hint: "use params.NAME, stages.STAGE.uses, stages.STAGE.with.NAME, stages.STAGE.matrix.NAME or stages.STAGE.inputs.PORT")
        }
    }

    /// Replaces (or, with `create`, adds) the value at `path` of mapping keys.
    private func replace(in node: inout YAMLNode, path: ArraySlice<String>, with value: YAMLNode, create: Bool) -> Bool {
        guard let key = path.first, case var .mapping(pairs) = node.kind else { return false }
        if let index = pairs.firstIndex(where: { $0.key.scalarText == key }) {
            if path.count == 1 {
                pairs[index].value = value
            } else {
                if pairs[index].value.pairs == nil, create, case .scalar("", _) = pairs[index].value.kind {
                    pairs[index].value = YAMLNode(.mapping([]), at: pairs[index].value.location)
                }
                guard replace(in: &pairs[index].value, path: path.dropFirst(), with: value, create: create) else { return false }
            }
        } else {
            guard create else { return false }
            var child = YAMLNode(.mapping([]), at: value.location)
            if path.count == 1 {
                child = value
            } else {
                guard replace(in: &child, path: path.dropFirst(), with: value, create: true) else { return false }
            }
            pairs.append((YAMLNode(.scalar(key, .plain), at: value.location), child))
        }
        node.kind = .mapping(pairs)
        return true
    }

    private func replace(in node: inout YAMLNode, path: [String], with value: YAMLNode, create: Bool) -> Bool {
        replace(in: &node, path: path[...], with: value, create: create)
    }

    // MARK: Building

    mutating func build(_ root: YAMLNode) -> Workflow {
        var name: String?
        var title: String?
        var paper: ParamValue?
        var stagesNode: YAMLNode?
        var executor: ExecutorKind?
        var resources: StageResources?
        var paramEntries: [ParameterEntry] = []
        for (key, value) in root.pairs ?? [] {
            guard let keyText = key.scalarText else {
                error(key.location, "workflow keys must be names, found \(key.shapeDescription)")
                continue
            }
            switch keyText {
            case "workflow":
                name = scalarString(value, what: "the workflow name")
                if let n = name, !Self.isValidName(n) {
                    error(value.location, "workflow name '\(n)' may hold only letters, digits, '-' and '_'",
                          hint: "it names Artifacts/\(n)/ and Workflows/\(n).lock")
                }
            case "title", "description":
                let text = scalarString(value, what: "'\(keyText)'")
                if keyText == "title" { title = text }
            case "paper":
                paper = value.value
            case "params":
                paramEntries = buildParams(value)
            case "stages":
                stagesNode = value
            case "executor":
                guard let text = value.scalarText, let kind = ExecutorKind(rawValue: text) else {
                    error(value.location, "'executor' must be one of \(ExecutorKind.allCases.map(\.rawValue).joined(separator: ", ")), found '\(value.scalarText ?? value.shapeDescription)'",
                          hint: "local runs the stages on this machine; slurm submits them as Slurm jobs (see README, On a cluster)")
                    continue
                }
                executor = kind
            case "resources":
                resources = stageResources(value, owner: "the workflow")
            default:
                error(key.location, "unknown workflow key '\(keyText)'" + NameSuggestion.didYouMean(keyText, in: Self.topLevelKeys),
                      hint: "a workflow has the keys \(Self.topLevelKeys.joined(separator: ", "))")
            }
        }
        if name == nil {
            error(root.location, "the workflow has no 'workflow:' name", hint: "add 'workflow: NAME' at the top")
        }
        var stages: [StageSpec] = []
        if let stagesNode {
            stages = buildStages(stagesNode)
        } else {
            error(root.location, "the workflow has no 'stages:' map", hint: "add 'stages:' with at least one stage")
        }
        var workflow = Workflow(name: name ?? "", title: title, paper: paper, file: file, params: paramEntries, stages: stages)
        workflow.executor = executor
        workflow.resources = resources
        return workflow
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    mutating func scalarString(_ node: YAMLNode, what: String) -> String? {
        guard let text = node.scalarText else {
            error(node.location, "\(what) must be a string, found \(node.shapeDescription)")
            return nil
        }
        return text
    }

    mutating func buildParams(_ node: YAMLNode) -> [ParameterEntry] {
        guard let pairs = node.pairs else {
            error(node.location, "'params' must be a map of names to values, found \(node.shapeDescription)")
            return []
        }
        var entries: [ParameterEntry] = []
        for (key, value) in pairs {
            guard let name = key.scalarText else {
                error(key.location, "parameter names must be strings")
                continue
            }
            if let reference = Self.firstReference(in: value) {
                error(reference, "workflow params cannot refer to other params",
                      hint: "write the value itself; ${params.NAME} works inside stages")
            }
            let resolved = value.value
            params[name] = resolved
            entries.append(ParameterEntry(name: name, value: resolved, keyLocation: key.location, valueLocation: value.location))
        }
        return entries
    }

    static func firstReference(in node: YAMLNode) -> SourceLocation? {
        switch node.kind {
        case let .scalar(text, _): return text.contains("${") ? node.location : nil
        case let .sequence(items): return items.lazy.compactMap(firstReference).first
        case let .mapping(pairs): return pairs.lazy.compactMap { firstReference(in: $0.value) }.first
        }
    }

    mutating func buildStages(_ node: YAMLNode) -> [StageSpec] {
        guard let pairs = node.pairs else {
            error(node.location, "'stages' must be a map of stage names to stages, found \(node.shapeDescription)")
            return []
        }
        var stages: [StageSpec] = []
        var seen: [String: SourceLocation] = [:]
        for (key, value) in pairs {
            guard let name = key.scalarText, Self.isValidName(name) else {
                error(key.location, "stage name '\(key.scalarText ?? key.shapeDescription)' may hold only letters, digits, '-' and '_'",
                      hint: "stage names appear in references like stage.output")
                continue
            }
            for spec in buildStage(name: name, key: key, node: value) {
                if let first = seen[spec.name] {
                    error(spec.location, "two stages are named '\(spec.name)' (the first at \(first.line):\(first.column))",
                          hint: "give matrix values distinct labels or rename one stage")
                } else {
                    seen[spec.name] = spec.location
                    stages.append(spec)
                }
            }
        }
        return stages
    }

    mutating func buildStage(name: String, key: YAMLNode, node: YAMLNode) -> [StageSpec] {
        guard let pairs = node.pairs else {
            error(node.location, "stage '\(name)' must be a map with 'uses:', found \(node.shapeDescription)",
                  hint: "write '\(name): {uses: plugin.id@1, with: {...}}'")
            return []
        }
        var uses: Located<PluginReference>?
        var inputs: [InputBinding] = []
        var parameters: [ParameterEntry] = []
        var matrix: [(key: YAMLNode, values: [YAMLNode])] = []
        var confidential: Bool?
        var data: DataStatement?
        var label: ExhibitLabel?
        var resources: StageResources?
        matrixAxes = pairs.first { $0.key.scalarText == "matrix" }?.value.pairs?.compactMap(\.key.scalarText) ?? []
        defer { matrixAxes = [] }
        for (k, v) in pairs {
            guard let keyText = k.scalarText else { error(k.location, "stage keys must be names"); continue }
            switch keyText {
            case "uses":
                uses = pluginReference(v)
            case "inputs":
                inputs = buildInputs(v, stage: name)
            case "with":
                guard let withPairs = v.pairs else {
                    if v.scalarText != "" { error(v.location, "'with' must be a map of parameter names to values, found \(v.shapeDescription)") }
                    continue
                }
                for (pk, pv) in withPairs {
                    guard let pname = pk.scalarText else { error(pk.location, "parameter names must be strings"); continue }
                    parameters.append(ParameterEntry(name: pname, value: substitute(pv), keyLocation: pk.location,
                                                     valueLocation: pv.location, shellQuotedValue: shellQuoted(pv)))
                }
            case "matrix":
                guard let axes = v.pairs else {
                    error(v.location, "'matrix' must map a parameter (or 'uses') to a list of values, found \(v.shapeDescription)")
                    continue
                }
                for (axisKey, axisValues) in axes {
                    guard case let .sequence(items) = axisValues.kind, !items.isEmpty else {
                        error(axisValues.location, "matrix axis '\(axisKey.scalarText ?? "?")' must be a non-empty list",
                              hint: "write '\(axisKey.scalarText ?? "name"): [value1, value2]'")
                        continue
                    }
                    matrix.append((axisKey, items))
                }
            case "description":
                break
            case "confidential":
                guard case let .bool(flag) = v.value else {
                    error(v.location, "'confidential' must be true or false, found \(v.shapeDescription)",
                          hint: "write 'confidential: true' to keep the stage's outputs (and those made from them) on this machine")
                    continue
                }
                confidential = flag
            case "data":
                data = dataStatement(v, stage: name, nested: false)
            case "label":
                label = exhibitLabel(v, stage: name)
            case "resources":
                resources = stageResources(v, owner: "stage '\(name)'")
            default:
                error(k.location, "unknown key '\(keyText)' in stage '\(name)'" + NameSuggestion.didYouMean(keyText, in: Self.stageKeys),
                      hint: "a stage has the keys \(Self.stageKeys.joined(separator: ", "))")
            }
        }
        let usesAxis = matrix.first { $0.key.scalarText == "uses" }
        if uses == nil && usesAxis == nil {
            error(key.location, "stage '\(name)' has no 'uses:'", hint: "name the plugin it runs, e.g. 'uses: io.file@1'")
            return []
        }
        var base = StageSpec(name: name, baseName: name, location: key.location,
                             uses: uses ?? Located(PluginReference(id: "", major: nil), at: key.location),
                             inputs: inputs, parameters: parameters)
        base.confidential = confidential
        base.data = data
        base.label = label
        base.resources = resources
        guard !matrix.isEmpty else { return [base] }
        // Each member is its own exhibit: "Table 3" becomes "Table 3 [logit]".
        return expand(base, matrix: matrix).map { member in
            guard var label = member.label else { return member }
            var member = member
            let suffix = " " + member.name.dropFirst(member.baseName.count)
            label.text = label.text.map { $0 + suffix }
            label.outputs = label.outputs.mapValues { $0 + suffix }
            member.label = label
            return member
        }
    }

    /// A `data:` block (see `DataStatement`); `nested` for the one inside `replaces:`.
    mutating func dataStatement(_ node: YAMLNode, stage: String, nested: Bool) -> DataStatement? {
        guard let pairs = node.pairs else {
            error(node.location, "'data' of stage '\(stage)' must be a map, found \(node.shapeDescription)",
                  hint: "write e.g. 'data: {citation: \"…\", licence: CC-BY-4.0, access: public}'")
            return nil
        }
        var statement = DataStatement(location: node.location)
        for (key, value) in pairs {
            guard let name = key.scalarText else { error(key.location, "data keys must be names"); continue }
            func text() -> String? {
                guard let text = value.scalarText, !text.isEmpty else {
                    error(value.location, "'\(name)' in the data block of stage '\(stage)' must be text, found \(value.shapeDescription)")
                    return nil
                }
                return text
            }
            switch name {
            case "title": statement.title = text()
            case "citation": statement.citation = text()
            case "doi": statement.doi = text()
            case "url": statement.url = text()
            case "licence", "license": statement.licence = text()
            case "licence_file": statement.licenceFile = text()
            case "obtain": statement.obtain = text()
            case "cost": statement.cost = text()
            case "time": statement.time = text()
            case "access":
                guard let word = value.scalarText, let access = DataStatement.Access(rawValue: word) else {
                    error(value.location, "'access' must be one of \(DataStatement.Access.allCases.map(\.rawValue).joined(separator: ", ")), found '\(value.scalarText ?? value.shapeDescription)'",
                          hint: "public: anyone may download it; registration: free after registering; restricted: under a licence or application; confidential: only in a secure environment")
                    continue
                }
                statement.access = access
            case "provided":
                guard case let .bool(flag) = value.value else {
                    error(value.location, "'provided' must be true or false, found \(value.scalarText.map { "'\($0)'" } ?? value.shapeDescription)",
                          hint: "true: the replication package includes the data; false: replicators obtain them as 'obtain' says")
                    continue
                }
                statement.provided = flag
            case "replaces" where !nested:
                if let real = dataStatement(value, stage: stage, nested: true) { statement.replacing = [real] }
            default:
                let known = nested ? Self.dataKeys.filter { $0 != "replaces" } : Self.dataKeys
                error(key.location, "unknown key '\(name)' in the data block of stage '\(stage)'" + NameSuggestion.didYouMean(name, in: known),
                      hint: "a data block has the keys \(known.joined(separator: ", "))")
            }
        }
        return statement
    }

    /// A `label:`: text, or a map of output ports to text.
    mutating func exhibitLabel(_ node: YAMLNode, stage: String) -> ExhibitLabel? {
        if let text = node.scalarText, !text.isEmpty {
            return ExhibitLabel(text: text, location: node.location)
        }
        guard let pairs = node.pairs, !pairs.isEmpty else {
            error(node.location, "'label' of stage '\(stage)' must be text or a map of outputs to text, found \(node.shapeDescription)",
                  hint: "write 'label: \"Table 1\"' or 'label: {svg: \"Figure 3b\"}'")
            return nil
        }
        var outputs: [String: String] = [:]
        for (key, value) in pairs {
            guard let port = key.scalarText, let text = value.scalarText, !text.isEmpty else {
                error(value.location, "each entry of 'label' maps an output to text, e.g. 'svg: \"Figure 3b\"'")
                continue
            }
            outputs[port] = text
        }
        return ExhibitLabel(text: nil, outputs: outputs, location: node.location)
    }

    /// A `resources:` block (see `StageResources`) of a stage or of the workflow.
    mutating func stageResources(_ node: YAMLNode, owner: String) -> StageResources? {
        guard let pairs = node.pairs else {
            error(node.location, "'resources' of \(owner) must be a map, found \(node.shapeDescription)",
                  hint: "write e.g. 'resources: {cpus: 4, mem: 8G, time: \"2:00:00\"}'")
            return nil
        }
        var resources = StageResources()
        for (key, value) in pairs {
            guard let name = key.scalarText else { error(key.location, "resource names must be names"); continue }
            let text = value.scalarText ?? ""
            func count(_ minimum: Int) -> Int? {
                guard let number = Int(text), number >= minimum else {
                    error(value.location, "'\(name)' in the resources of \(owner) must be a whole number of at least \(minimum), found '\(value.scalarText ?? value.shapeDescription)'")
                    return nil
                }
                return number
            }
            func word() -> String? {
                guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                    error(value.location, "'\(name)' in the resources of \(owner) must be one word, found '\(value.scalarText ?? value.shapeDescription)'")
                    return nil
                }
                return text
            }
            switch name {
            case "cpus": resources.cpus = count(1)
            case "retries": resources.retries = count(0)
            case "mem":
                guard let megabytes = StageResources.megabytes(parsing: text) else {
                    error(value.location, "'mem' in the resources of \(owner) must be a size such as 500M, 4G or 1T, found '\(value.scalarText ?? value.shapeDescription)'")
                    continue
                }
                resources.memoryMegabytes = megabytes
            case "time":
                guard let seconds = StageResources.seconds(parsing: text) else {
                    error(value.location, "'time' in the resources of \(owner) must be a Slurm time limit (minutes, MM:SS, H:MM:SS or D-HH:MM:SS), found '\(value.scalarText ?? value.shapeDescription)'")
                    continue
                }
                resources.timeSeconds = seconds
            case "partition": resources.partition = word()
            case "account": resources.account = word()
            case "qos": resources.qos = word()
            case "sbatch":
                let items: [YAMLNode]
                if case let .sequence(list) = value.kind { items = list } else { items = [value] }
                for item in items {
                    guard let argument = item.scalarText, argument.hasPrefix("--") else {
                        error(item.location, "each 'sbatch' argument of \(owner) must be a long option such as --constraint=avx2, found '\(item.scalarText ?? item.shapeDescription)'",
                              hint: "the arguments go to sbatch as they are, one each, never through a shell")
                        continue
                    }
                    resources.sbatchArguments.append(argument)
                }
            case "local":
                guard case let .bool(flag) = value.value else {
                    error(value.location, "'local' in the resources of \(owner) must be true or false, found '\(value.scalarText ?? value.shapeDescription)'")
                    continue
                }
                resources.local = flag
            default:
                error(key.location, "unknown resource '\(name)' in \(owner)" + NameSuggestion.didYouMean(name, in: Self.resourceKeys),
                      hint: "resources are \(Self.resourceKeys.joined(separator: ", "))")
            }
        }
        return resources
    }

    mutating func pluginReference(_ node: YAMLNode) -> Located<PluginReference>? {
        guard let text = node.scalarText, let reference = PluginReference(parsing: text) else {
            error(node.location, "'\(node.scalarText ?? node.shapeDescription)' is not a plugin reference",
                  hint: "write the plugin id and major version, e.g. 'models.probit@1'")
            return nil
        }
        return Located(reference, at: node.location)
    }

    mutating func buildInputs(_ node: YAMLNode, stage: String) -> [InputBinding] {
        guard let pairs = node.pairs else {
            error(node.location, "'inputs' must map input ports to stage outputs, found \(node.shapeDescription)",
                  hint: "write 'inputs: {data: other_stage.output}'")
            return []
        }
        var bindings: [InputBinding] = []
        for (k, v) in pairs {
            guard let port = k.scalarText else { error(k.location, "input port names must be strings"); continue }
            let items: [YAMLNode]
            if case let .sequence(list) = v.kind { items = list } else { items = [v] }
            var sources: [Located<OutputReference>] = []
            for item in items {
                if case .sequence = item.kind {
                    // `[model[1,probit].fit]`: YAML read the matrix name's brackets as a list.
                    error(item.location, "a list inside the list of inputs of '\(port)': a matrix stage's name has brackets, which YAML reads as a list",
                          hint: "quote the reference, e.g. [\"model[1,probit].fit\"]")
                    continue
                }
                guard let text = item.scalarText, let reference = OutputReference(parsing: text) else {
                    error(item.location, "'\(item.scalarText ?? item.shapeDescription)' is not a reference to a stage output",
                          hint: "write STAGE.OUTPUT, e.g. 'customs.records'")
                    continue
                }
                sources.append(Located(reference, at: item.location))
            }
            bindings.append(InputBinding(port: port, sources: sources, location: k.location))
        }
        return bindings
    }

    // MARK: Substitution

    /// Resolves a value node, replacing `${params.NAME}`: a scalar that is exactly one reference
    /// takes the parameter's typed value; references inside longer text are spliced in as text.
    mutating func substitute(_ node: YAMLNode) -> ParamValue {
        switch node.kind {
        case let .scalar(text, style):
            guard text.contains("${") else { return node.value }
            let quoteOffset = style == .quoted ? 1 : 0
            var result = ""
            var wholeValue: ParamValue?
            var rest = Substring(text)
            var consumed = 0
            while let start = rest.range(of: "${") {
                result += rest[..<start.lowerBound]
                consumed += rest.distance(from: rest.startIndex, to: start.lowerBound)
                let column = node.location.column + quoteOffset + consumed
                let place = SourceLocation(file: node.location.file, line: node.location.line, column: column)
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                    error(place, "unterminated '${' in '\(text)'", hint: "write ${params.NAME}")
                    return .string(text)
                }
                let written = String(rest[start.upperBound..<end])
                let token = "${\(written)}"
                let reference = written.hasSuffix(Self.rawSuffix) ? String(written.dropLast(Self.rawSuffix.count)) : written
                if reference.hasPrefix("params.") {
                    let name = String(reference.dropFirst("params.".count))
                    if let value = params[name] {
                        if result.isEmpty, rest[rest.index(after: end)...].isEmpty, consumed == 0 {
                            wholeValue = value
                        }
                        result += value.stringValue ?? value.description
                    } else {
                        error(place, "unknown parameter '\(name)' in '\(token)'" + NameSuggestion.didYouMean(name, in: params.keys),
                              hint: "declare it under the workflow's 'params:'")
                    }
                } else if reference.hasPrefix("matrix.") {
                    // Filled in per member by `expand` (a title that names its member).
                    let axis = String(reference.dropFirst("matrix.".count))
                    if matrixAxes.contains(axis) {
                        result += token
                    } else {
                        error(place, "'\(token)' names no matrix axis of this stage"
                              + (matrixAxes.isEmpty ? " (it has no matrix)" : NameSuggestion.didYouMean(axis, in: matrixAxes)),
                              hint: matrixAxes.isEmpty ? "${matrix.NAME} works in a stage with 'matrix:'" : "its axes: \(matrixAxes.joined(separator: ", "))")
                    }
                } else {
                    error(place, "unknown reference '\(token)'", hint: "only ${params.NAME} and ${matrix.NAME} can be substituted")
                }
                consumed += token.unicodeScalars.count
                rest = rest[rest.index(after: end)...]
            }
            result += rest
            if let wholeValue { return wholeValue }
            return style == .plain ? YAMLScalarResolver.resolvePlain(result) : .string(result)
        case let .sequence(items):
            return .list(items.map { substitute($0) })
        case let .mapping(pairs):
            var map: [String: ParamValue] = [:]
            for pair in pairs { map[pair.key.scalarText ?? pair.key.value.description] = substitute(pair.value) }
            return .map(map)
        }
    }

    /// `${params.X:raw}`: spliced into a shell command as written, not quoted.
    static let rawSuffix = ":raw"

    /// The text of a scalar with `${params.X}` splices, each spliced value single-quoted for
    /// `/bin/sh` (raw splices as written); `nil` when the node splices nothing into longer text.
    /// Problems are reported by `substitute`, which sees the same node.
    func shellQuoted(_ node: YAMLNode) -> ParamValue? {
        guard case let .scalar(text, _) = node.kind, text.contains("${") else { return nil }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
            result += rest[..<start.lowerBound]
            let written = String(rest[start.upperBound..<end])
            let raw = written.hasSuffix(Self.rawSuffix)
            let reference = raw ? String(written.dropLast(Self.rawSuffix.count)) : written
            if reference.hasPrefix("matrix.") {
                // Kept for `expand`, which quotes each member's value here.
                result += "${\(written)}"
                rest = rest[rest.index(after: end)...]
                continue
            }
            guard reference.hasPrefix("params."), let value = params[String(reference.dropFirst("params.".count))] else { return nil }
            let spliced = value.stringValue ?? value.description
            result += raw ? spliced : ShellQuoting.quote(spliced)
            rest = rest[rest.index(after: end)...]
        }
        if result.isEmpty, rest.isEmpty { return nil }
        return .string(result + rest)
    }

    // MARK: Matrix

    /// One stage per combination of the axes' values, named `base[label,label]`.
    mutating func expand(_ base: StageSpec, matrix: [(key: YAMLNode, values: [YAMLNode])]) -> [StageSpec] {
        var combinations: [[(axis: YAMLNode, value: YAMLNode, label: String)]] = [[]]
        for (axis, values) in matrix {
            var next: [[(axis: YAMLNode, value: YAMLNode, label: String)]] = []
            for prefix in combinations {
                for (index, value) in values.enumerated() {
                    next.append(prefix + [(axis, value, label(for: value, axis: axis.scalarText ?? "", index: index))])
                }
            }
            combinations = next
        }
        var expanded: [StageSpec] = []
        for combination in combinations {
            var spec = base
            spec.name = "\(base.name)[\(combination.map(\.label).joined(separator: ","))]"
            for (axis, value, _) in combination {
                let axisName = axis.scalarText ?? ""
                if axisName == "uses" {
                    guard let reference = pluginReference(value) else { continue }
                    spec.uses = reference
                } else if axisName == "with", let pairs = value.pairs {
                    // A `with` axis: each value is a map of parameters that vary together (a
                    // fixed-effects set with its covariance), as GitHub Actions' matrix `include`.
                    for pair in pairs {
                        let name = pair.key.scalarText ?? ""
                        spec.parameters.removeAll { $0.name == name }
                        spec.parameters.append(ParameterEntry(name: name, value: substitute(pair.value),
                                                              keyLocation: pair.key.location, valueLocation: pair.value.location, shellQuotedValue: shellQuoted(pair.value)))
                    }
                } else {
                    spec.parameters.removeAll { $0.name == axisName }
                    spec.parameters.append(ParameterEntry(name: axisName, value: substitute(value),
                                                          keyLocation: axis.location, valueLocation: value.location, shellQuotedValue: shellQuoted(value)))
                }
            }
            // `${matrix.NAME}` in any text parameter: the member's value of that axis (a scalar's
            // text, else its label), shell-quoted where the parameter is a shell command.
            var fills: [(token: String, raw: String, text: String)] = []
            for (axis, value, label) in combination {
                let name = axis.scalarText ?? ""
                let text = value.scalarText ?? label
                fills.append(("${matrix.\(name)}", "${matrix.\(name)\(Self.rawSuffix)}", text))
            }
            func fill(_ value: ParamValue, quoted: Bool) -> ParamValue {
                switch value {
                case var .string(text):
                    guard text.contains("${matrix.") else { return value }
                    for (token, raw, filler) in fills {
                        text = text.replacingOccurrences(of: raw, with: filler)
                            .replacingOccurrences(of: token, with: quoted ? ShellQuoting.quote(filler) : filler)
                    }
                    return .string(text)
                case let .list(items): return .list(items.map { fill($0, quoted: quoted) })
                case let .map(entries): return .map(entries.mapValues { fill($0, quoted: quoted) })
                default: return value
                }
            }
            for index in spec.parameters.indices {
                spec.parameters[index].value = fill(spec.parameters[index].value, quoted: false)
                spec.parameters[index].shellQuotedValue = spec.parameters[index].shellQuotedValue.map { fill($0, quoted: true) }
            }
            expanded.append(spec)
        }
        return expanded
    }

    func label(for value: YAMLNode, axis: String, index: Int) -> String {
        // A subset condition `column == value` names its member `column=value`
        // (`figure3[density_firm,year=2009]`, `subsample[region4=East]`).
        if let text = value.scalarText,
           let match = text.wholeMatch(of: /\s*([A-Za-z_][A-Za-z0-9_]*)\s*==\s*(?:"([^"\[\],. ]+)"|'([^'\[\],. ]+)'|(-?[0-9]+))\s*/) {
            return "\(match.1)=\(match.2 ?? match.3 ?? match.4 ?? "")"
        }
        guard let text = value.scalarText, !text.isEmpty, !text.contains(where: { "[], ".contains($0) }) else {
            return String(index + 1)
        }
        if axis == "uses", let reference = PluginReference(parsing: text) {
            return String(reference.id.split(separator: ".").last ?? Substring(reference.id))
        }
        if text.contains("/") {
            // A path: its file name without the extension (`data/hs2002.csv` → `hs2002`).
            let file = text.split(separator: "/").last.map(String.init) ?? text
            let stem = file.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
            return stem.isEmpty ? file : stem
        }
        return text
    }
}

extension YAMLNode {
    /// The value under mapping key `key`.
    func child(_ key: String) -> YAMLNode? {
        pairs?.first { $0.key.scalarText == key }?.value
    }

    /// Moves every node of an override's value to the override's location on the command line.
    mutating func relocate(to location: SourceLocation) {
        let offset = self.location.column - 1
        self.location = SourceLocation(file: location.file, line: location.line, column: location.column + offset)
        switch kind {
        case let .sequence(items):
            kind = .sequence(items.map { var item = $0; item.relocate(to: location); return item })
        case let .mapping(pairs):
            kind = .mapping(pairs.map { pair in
                var key = pair.key, value = pair.value
                key.relocate(to: location)
                value.relocate(to: location)
                return (key, value)
            })
        case .scalar: break
        }
    }
}
