import Foundation

/// Checks a loaded workflow against the plugin registry and the project, and builds the
/// `StageGraph`. Reports every problem at once: unknown plugin or parameter, missing or mistyped
/// parameter, unknown stage or output port, paths outside the project, cycles.
public struct WorkflowValidator: Sendable {
    /// The plugins stages may use.
    public var registry: StageRegistry
    /// The project root; path parameters must stay inside it.
    public var projectRoot: URL

    /// Creates a validator.
    public init(registry: StageRegistry, projectRoot: URL) {
        self.registry = registry
        self.projectRoot = projectRoot
    }

    /// Validates `workflow`.
    /// - Returns: the stage graph in topological order.
    /// - Throws: `DiagnosticsError` with every problem found.
    /// - Complexity: O(stages + edges); graph traversal is iterative, so chains of any length work.
    public func validate(_ workflow: Workflow) throws -> StageGraph {
        var diagnostics: [Diagnostic] = []
        func error(_ location: SourceLocation, _ message: String, hint: String? = nil) {
            diagnostics.append(Diagnostic(at: location, message, hint: hint))
        }
        var warnings: [Diagnostic] = []

        var byName: [String: Int] = [:]
        var byBase: [String: [Int]] = [:]
        // Read once: ProcessInfo builds a new dictionary on every call (500 stages: 500 copies).
        let environment = ProcessInfo.processInfo.environment
        for (i, spec) in workflow.stages.enumerated() {
            byName[spec.name] = i
            byBase[spec.baseName, default: []].append(i)
        }

        // Pass 1: plugins, parameters, outputs.
        var descriptors: [PluginDescriptor?] = []
        var resolved: [ResolvedStage] = []
        for spec in workflow.stages {
            let reference = spec.uses.value
            var descriptor = registry.descriptor(for: reference.id)
            if descriptor == nil {
                error(spec.uses.location, "unknown plugin '\(reference.id)'" + NameSuggestion.didYouMean(reference.id, in: registry.ids),
                      hint: "run 'paperflow stages' to list the plugins")
            } else if let major = reference.major, major != descriptor!.version {
                error(spec.uses.location,
                      "stage '\(spec.name)' asks for \(reference.id)@\(major), but this Paperflow provides \(descriptor!.reference)",
                      hint: "write '\(descriptor!.reference)' (read the plugin's changes first: its outputs may differ)")
                descriptor = nil
            } else if reference.major == nil {
                // Without @N a new major version (other ports, other parameters) would be taken
                // silently on an upgrade.
                error(spec.uses.location, "stage '\(spec.name)' uses '\(reference.id)' without a major version",
                      hint: "write '\(descriptor!.reference)': the @N pins the ports and parameters the workflow was written for")
                descriptor = nil
            }
            descriptors.append(descriptor)
            var stage = ResolvedStage(name: spec.name, baseName: spec.baseName, location: spec.location,
                                      pluginID: reference.id, pluginVersion: descriptor?.version ?? 0,
                                      implementationDigest: descriptor?.implementationDigest ?? "",
                                      params: [:], inputs: [:], outputs: [], fileDependencies: [],
                                      materializations: [], cost: descriptor?.signature.cost ?? .light)
            stage.resources = (spec.resources ?? StageResources()).over(workflow.resources ?? StageResources())
            guard let descriptor else { resolved.append(stage); continue }
            let signature = descriptor.signature
            for name in signature.keyedEnvironment { stage.environment[name] = environment[name] }

            for entry in spec.parameters {
                // A shell command takes its spliced values quoted, so a value cannot become code.
                var entry = entry
                if signature.param(entry.name)?.shellCommand == true, let quoted = entry.shellQuotedValue { entry.value = quoted }
                guard let paramSpec = signature.param(entry.name) else {
                    let names = signature.params.map(\.name)
                    error(entry.keyLocation,
                          "unknown parameter '\(entry.name)' for \(descriptor.id)" + NameSuggestion.didYouMean(entry.name, in: names),
                          hint: names.isEmpty ? "\(descriptor.id) takes no parameters" : "\(descriptor.id) takes: \(names.joined(separator: ", "))")
                    continue
                }
                if let problem = paramSpec.type.mismatch(entry.value) {
                    error(entry.valueLocation, "parameter '\(entry.name)' of \(descriptor.id): \(problem)",
                          hint: "give \(paramSpec.type)")
                    continue
                }
                switch normalizePaths(entry.value, type: paramSpec.type) {
                case let .success(value): stage.params[entry.name] = value
                case let .failure(problem):
                    error(entry.valueLocation, "parameter '\(entry.name)' of stage '\(spec.name)': \(problem)",
                          hint: "name a path inside the project, relative to its root")
                }
            }
            for paramSpec in signature.params where spec.parameters.allSatisfy({ $0.name != paramSpec.name }) {
                if let value = paramSpec.defaultValue {
                    stage.params[paramSpec.name] = value
                } else if paramSpec.required {
                    error(spec.location, "stage '\(spec.name)' (\(descriptor.id)) is missing required parameter '\(paramSpec.name)'",
                          hint: "add '\(paramSpec.name):' (\(paramSpec.type)) under 'with:'")
                }
            }

            if let lint = signature.lint {
                for finding in lint(stage.params, projectRoot) {
                    let location = spec.parameters.first { $0.name == finding.param }?.valueLocation ?? spec.location
                    if finding.isError {
                        error(location, finding.message, hint: finding.hint)
                    } else {
                        warnings.append(Diagnostic(.warning, at: location, finding.message, hint: finding.hint))
                    }
                }
            }

            stage.outputs = signature.outputs.map { ResolvedOutput(port: $0.name, fileName: $0.fileName ?? $0.name) }
            if let param = signature.outputsFromParam, let outs = stage.params[param]?.mapValue {
                let location = spec.parameters.first { $0.name == param }?.valueLocation ?? spec.location
                for name in outs.keys.sorted() {
                    // A table output ({table: FILE.csv}) is stored as the table artifact FILE.pftable.
                    let table = outs[name]?.mapValue?["table"]?.stringValue
                    let fileName = outs[name]?.stringValue ?? table.map { ($0 as NSString).deletingPathExtension + ".pftable" } ?? name
                    if fileName.isEmpty || fileName.contains("/") || fileName == "." || fileName == ".." {
                        error(location, "output '\(name)' of stage '\(spec.name)' has file name '\(fileName)'",
                              hint: "give a plain file name such as 'result.csv'; the engine decides where it is stored")
                    }
                    stage.outputs.append(ResolvedOutput(port: name, fileName: fileName))
                }
            }
            for port in (spec.label?.outputs.keys).map(Array.init)?.sorted() ?? [] where !stage.outputs.contains(where: { $0.port == port }) {
                error(spec.label!.location, "'label' of stage '\(spec.name)' names output '\(port)', which \(descriptor.id) does not have"
                      + NameSuggestion.didYouMean(port, in: stage.outputs.map(\.port)),
                      hint: "\(descriptor.id) writes: \(stage.outputs.map(\.port).joined(separator: ", "))")
            }
            for param in signature.fileParams {
                stage.fileDependencies += Self.strings(in: stage.params[param]).filter { !$0.isEmpty }
            }
            stage.fileDependencies = Array(Set(stage.fileDependencies)).sorted()
            for (param, output) in signature.materializedOutputs {
                if let path = stage.params[param]?.stringValue {
                    stage.materializations.append(Materialization(path: path, output: output))
                }
            }
            resolved.append(stage)
        }

        // Pass 2: inputs.
        var edges: [[Int]] = Array(repeating: [], count: workflow.stages.count)
        for (i, spec) in workflow.stages.enumerated() {
            let signature = descriptors[i]?.signature
            for binding in spec.inputs {
                let port = signature?.inputs.first { $0.name == binding.port }
                if let signature, port == nil {
                    let names = signature.inputs.map(\.name)
                    error(binding.location,
                          "stage '\(spec.name)' (\(spec.uses.value.id)) has no input '\(binding.port)'" + NameSuggestion.didYouMean(binding.port, in: names),
                          hint: names.isEmpty ? "\(spec.uses.value.id) takes no inputs" : "its inputs are: \(names.joined(separator: ", "))")
                }
                var references: [StageOutputReference] = []
                for source in binding.sources {
                    let targets: [Int]
                    if let exact = byName[source.value.stage] {
                        targets = [exact]
                    } else if let expansions = byBase[source.value.stage] {
                        targets = expansions
                    } else {
                        let names = workflow.stages.map(\.name) + Array(byBase.keys)
                        error(source.location, "reference '\(source.value)' names unknown stage '\(source.value.stage)'"
                              + NameSuggestion.didYouMean(source.value.stage, in: Set(names)),
                              hint: "reference an output of a stage defined under 'stages:'")
                        continue
                    }
                    for target in targets {
                        edges[i].append(target)
                        guard descriptors[target] != nil else { continue }
                        let producer = resolved[target]
                        guard producer.outputs.contains(where: { $0.port == source.value.output }) else {
                            let names = producer.outputs.map(\.port)
                            error(source.location,
                                  "stage '\(producer.name)' has no output '\(source.value.output)'" + NameSuggestion.didYouMean(source.value.output, in: names),
                                  hint: "its outputs are: \(names.joined(separator: ", "))")
                            break
                        }
                        if let port, let producerPort = descriptors[target]?.signature.outputs.first(where: { $0.name == source.value.output }),
                           !producerPort.kind.canFeed(port.kind) {
                            error(source.location,
                                  "output '\(source.value)' is \(producerPort.kind), but input '\(binding.port)' of stage '\(spec.name)' takes \(port.kind)",
                                  hint: "connect an output of kind \(port.kind), or convert it with a stage in between")
                        }
                        references.append(StageOutputReference(stage: producer.name, output: source.value.output))
                    }
                }
                if let port, !port.multiple, references.count > 1 {
                    error(binding.location, "input '\(binding.port)' of stage '\(spec.name)' takes one artifact, but \(references.count) are bound",
                          hint: "bind a single output, e.g. one matrix expansion such as 'model[logit].fit'")
                }
                resolved[i].inputs[binding.port] = references
            }
            if let signature {
                for port in signature.inputs where !port.optional && spec.inputs.allSatisfy({ $0.port != port.name }) {
                    error(spec.location, "stage '\(spec.name)' (\(spec.uses.value.id)) is missing input '\(port.name)'",
                          hint: "bind it under 'inputs:', e.g. '\(port.name): other_stage.output'")
                }
            }
        }

        // A project file that one stage writes (io.export's `to`) and another reads as a file
        // dependency would be read before it is written on a first run, and stale on later ones:
        // the reader must bind the artifact instead.
        var writers: [String: (stage: Int, output: String)] = [:]
        for (index, stage) in resolved.enumerated() {
            for materialization in stage.materializations { writers[materialization.path] = (index, materialization.output) }
        }
        if !writers.isEmpty {
            for (index, stage) in resolved.enumerated() {
                for path in stage.fileDependencies {
                    guard let (writer, output) = writers.first(where: { path == $0.key || $0.key.hasPrefix(path.hasSuffix("/") ? path : path + "/") })
                        .map({ $0.value }), writer != index else { continue }
                    let spec = workflow.stages[index]
                    let source = workflow.stages[writer].inputs.first?.sources.first?.value.description
                    let location = spec.parameters.first { Self.strings(in: $0.value).contains(path) }?.valueLocation ?? spec.location
                    error(location, "stage '\(spec.name)' reads \(path), which stage '\(workflow.stages[writer].name)' writes (its \(output)): the first run would read it before it exists",
                          hint: "bind the artifact instead of the file" + (source.map { ", e.g. inputs: {…: \($0)}" } ?? ""))
                }
            }
        }

        // Pass 3: order, and cycles.
        let order = Self.topologicalOrder(edges: edges)
        if order.count < edges.count {
            var cycle = Self.findCycle(edges: edges, excluding: Set(order))
            let first = cycle.indices.min { cycle[$0] < cycle[$1] }!
            cycle = Array(cycle[first...] + cycle[..<first])
            let names = cycle.map { workflow.stages[$0].name }
            error(workflow.stages[cycle[0]].location, "cycle: \((names + [names[0]]).joined(separator: " → "))",
                  hint: "a stage cannot depend on its own output, directly or through other stages; remove one of these inputs")
        }
        if !diagnostics.isEmpty { throw DiagnosticsError(diagnostics) }

        var position: [Int] = Array(repeating: 0, count: order.count)
        for (newIndex, oldIndex) in order.enumerated() { position[oldIndex] = newIndex }
        var stages = order.map { resolved[$0] }
        var dependencies: [[Int]] = Array(repeating: [], count: order.count)
        var dependents: [[Int]] = Array(repeating: [], count: order.count)
        for (oldIndex, targets) in edges.enumerated() {
            let from = position[oldIndex]
            for target in Set(targets).sorted() {
                dependencies[from].append(position[target])
                dependents[position[target]].append(from)
            }
        }
        // Confidentiality flows downstream (in topological order) until a stage releases it.
        let written = Dictionary(workflow.stages.map { ($0.name, $0.confidential) }, uniquingKeysWith: { a, _ in a })
        for i in stages.indices {
            stages[i].confidential = written[stages[i].name].flatMap { $0 } ?? dependencies[i].contains { stages[$0].confidential }
        }
        var index: [String: Int] = [:]
        for (i, stage) in stages.enumerated() { index[stage.name] = i }
        var graph = StageGraph(workflowName: workflow.name, title: workflow.title, paper: workflow.paper, file: workflow.file, stages: stages,
                          index: index, dependencies: dependencies, dependents: dependents)
        graph.warnings = warnings
        graph.executor = workflow.executor
        return graph
    }

    /// Loads and validates in one pass, reporting load-time and validation problems together.
    /// - Throws: `DiagnosticsError` with every problem found.
    public func open(_ url: URL, displayPath: String, overrides: [Override] = [],
                     loader: WorkflowLoader = WorkflowLoader()) throws -> StageGraph {
        var problems: [Diagnostic] = []
        let workflow = try loader.load(contentsOf: url, displayPath: displayPath, overrides: overrides, problems: &problems)
        let graph: StageGraph
        do {
            graph = try validate(workflow)
        } catch let error as DiagnosticsError {
            throw DiagnosticsError(problems + error.diagnostics)
        }
        // Loading problems alone: thrown once, outside the catch above (which counted them twice).
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        return graph
    }

    /// Kahn's algorithm; ties go to the earlier stage in the file.
    static func topologicalOrder(edges: [[Int]]) -> [Int] {
        var indegree = edges.map { Set($0).count }
        var readers: [[Int]] = Array(repeating: [], count: edges.count)
        for (reader, sources) in edges.enumerated() { for source in Set(sources) { readers[source].append(reader) } }
        var ready = Heap<Int>()
        for (i, degree) in indegree.enumerated() where degree == 0 { ready.insert(i) }
        var order: [Int] = []
        order.reserveCapacity(edges.count)
        while let next = ready.popMin() {
            order.append(next)
            for reader in readers[next] {
                indegree[reader] -= 1
                if indegree[reader] == 0 { ready.insert(reader) }
            }
        }
        return order
    }

    /// One cycle among the stages Kahn's algorithm could not order (iterative walk).
    static func findCycle(edges: [[Int]], excluding ordered: Set<Int>) -> [Int] {
        let start = (0..<edges.count).first { !ordered.contains($0) }!
        var path: [Int] = []
        var onPath: [Int: Int] = [:]
        var current = start
        while onPath[current] == nil {
            onPath[current] = path.count
            path.append(current)
            // Every unordered stage has an unordered source (else it would have been ordered).
            current = edges[current].first { !ordered.contains($0) }!
        }
        return Array(path[onPath[current]!...]).reversed()
    }

    /// Normalises every path inside a value of a type that contains `.path`.
    func normalizePaths(_ value: ParamValue, type: ParamType) -> Result<ParamValue, ProjectPath.PathProblem> {
        switch (type, value) {
        case (.path, .string("")):
            // An empty path is "no file" (a generator's `source` left unset), not an error.
            return .success(value)
        case let (.path, .string(path)):
            return ProjectPath.normalize(path, root: projectRoot).map(ParamValue.string)
        case let (.list(element), .list(items)):
            var out: [ParamValue] = []
            for item in items {
                switch normalizePaths(item, type: element) {
                case let .success(v): out.append(v)
                case let .failure(problem): return .failure(problem)
                }
            }
            return .success(.list(out))
        case let (.map(element), .map(entries)):
            var out: [String: ParamValue] = [:]
            for (key, item) in entries {
                switch normalizePaths(item, type: element) {
                case let .success(v): out[key] = v
                case let .failure(problem): return .failure(problem)
                }
            }
            return .success(.map(out))
        case let (.either(a, b), _):
            if a.mismatch(value) == nil { return normalizePaths(value, type: a) }
            return normalizePaths(value, type: b)
        default:
            return .success(value)
        }
    }

    /// Every string in a value (a path, or a list or map of paths).
    static func strings(in value: ParamValue?) -> [String] {
        switch value {
        case let .string(s)?: return [s]
        case let .list(items)?: return items.flatMap { strings(in: $0) }
        case let .map(entries)?: return entries.keys.sorted().flatMap { strings(in: entries[$0]) }
        default: return []
        }
    }
}

/// A binary min-heap, for deterministic topological order in O(n log n).
struct Heap<Element: Comparable & Sendable>: Sendable {
    private var items: [Element] = []

    mutating func insert(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let min = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return min
    }

    var isEmpty: Bool { items.isEmpty }
}
