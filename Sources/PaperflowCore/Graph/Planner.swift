/// What the planner needs to know about the world: file digests and the action cache.
/// Implementations do I/O; the planner itself only decides.
public protocol PlanEnvironment {
    /// The digest of a project file, `nil` when it does not exist.
    func fileDigest(_ relativePath: String) throws -> Digest?
    /// The outputs recorded for `key`, when the action cache has it and its blobs are present.
    func cachedOutputs(for key: Digest) -> [String: OutputRecord]?
}

/// What will happen to one stage on the next run, and why.
public struct PlanEntry: Sendable {
    /// The decision.
    public enum Status: Sendable, Equatable {
        /// Outputs are in the store for this exact key.
        case cached
        /// It will run.
        case willRun
        /// Its key is not known yet: these upstream stages run first (if they come out
        /// byte-identical, this stage is not rerun).
        case pending(on: [String])
        /// It cannot run: a file it reads is missing.
        case blocked
    }

    /// The stage.
    public var stage: String
    /// `id@version`.
    public var plugin: String
    /// The decision.
    public var status: Status
    /// The key, when known.
    public var key: Digest?
    /// The ingredients, when the key is known.
    public var ingredients: KeyIngredients?
    /// Why: what changed since the lock file, or what is missing.
    public var reasons: [String]
}

/// A dry run: the decision for every stage, in execution order.
public struct Plan: Sendable {
    /// One entry per stage, in topological order.
    public var entries: [PlanEntry]

    /// Stages by status.
    public func stages(_ status: PlanEntry.Status) -> [String] {
        entries.filter { $0.status == status }.map(\.stage)
    }
}

/// Decides, without running anything, which stages are cached, will run, or wait on upstream.
public enum Planner {
    /// The ingredients of a stage's key given its inputs' and files' digests.
    public static func ingredients(of stage: ResolvedStage, inputs: [String: [Digest]], files: [String: Digest]) -> KeyIngredients {
        KeyIngredients(plugin: stage.pluginID, version: stage.pluginVersion, implementation: stage.implementationDigest,
                       params: stage.params, inputs: inputs, files: files, environment: stage.environment)
    }

    /// Plans `graph` against `environment`, explaining changes relative to `previous` (the lock file).
    public static func plan(_ graph: StageGraph, environment: some PlanEnvironment, previous: WorkflowLock?) -> Plan {
        var outputs: [[String: OutputRecord]?] = Array(repeating: nil, count: graph.stages.count)
        var entries: [PlanEntry] = []
        entries.reserveCapacity(graph.stages.count)
        for (i, stage) in graph.stages.enumerated() {
            let before = previous?.stages[stage.name]
            var entry = PlanEntry(stage: stage.name, plugin: stage.pluginReference, status: .willRun, key: nil,
                                  ingredients: nil, reasons: [])
            let waiting = graph.dependencies[i].filter { outputs[$0] == nil }.map { graph.stages[$0].name }
            if !waiting.isEmpty {
                entry.status = .pending(on: waiting)
                if let before {
                    let own = ingredients(of: stage, inputs: before.ingredients.inputs, files: before.ingredients.files)
                    entry.reasons = own.changes(since: before.ingredients)
                }
                entries.append(entry)
                continue
            }
            var inputDigests: [String: [Digest]] = [:]
            for (port, references) in stage.inputs {
                inputDigests[port] = references.map { reference in
                    outputs[graph.index[reference.stage]!]![reference.output]!.digest
                }
            }
            var files: [String: Digest] = [:]
            var missing: [String] = []
            for path in stage.fileDependencies {
                do {
                    if let digest = try environment.fileDigest(path) { files[path] = digest } else { missing.append(path) }
                } catch {
                    missing.append("\(path) (\(error))")
                }
            }
            if !missing.isEmpty {
                entry.status = .blocked
                entry.reasons = missing.map { "file '\($0)' does not exist" }
                entries.append(entry)
                continue
            }
            let made = ingredients(of: stage, inputs: inputDigests, files: files)
            let key = made.key
            entry.key = key
            entry.ingredients = made
            if let cached = environment.cachedOutputs(for: key) {
                entry.status = .cached
                outputs[i] = cached
            } else if let before {
                let changes = made.changes(since: before.ingredients)
                entry.reasons = changes.isEmpty
                    ? (before.key == key ? ["its outputs are not in the store (removed by gc, or found corrupt)"]
                                         : ["its key recipe changed"])
                    : changes
            } else {
                entry.reasons = ["new stage: never run"]
            }
            entries.append(entry)
        }
        return Plan(entries: entries)
    }
}
