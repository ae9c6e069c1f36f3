/// A concrete upstream output: a (matrix-expanded) stage name and a port.
public struct StageOutputReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The producing stage.
    public var stage: String
    /// Its output port.
    public var output: String

    /// Creates a reference.
    public init(stage: String, output: String) {
        self.stage = stage
        self.output = output
    }

    public var description: String { "\(stage).\(output)" }
}

/// An output port of a resolved stage, with the file name of its human-facing copy.
public struct ResolvedOutput: Sendable, Hashable, Codable {
    /// The port.
    public var port: String
    /// The file name under `Artifacts/<workflow>/<stage>/`.
    public var fileName: String
}

/// A file the engine keeps equal to one of the stage's outputs (`io.export`'s target).
public struct Materialization: Sendable, Hashable, Codable {
    /// Project-relative path.
    public var path: String
    /// The output port whose content it holds.
    public var output: String
}

/// A validated stage: plugin resolved, parameters checked and defaulted, inputs bound.
public struct ResolvedStage: Sendable, Hashable {
    /// The stage's name (matrix expansions carry their labels).
    public var name: String
    /// The name before matrix expansion.
    public var baseName: String
    /// Where the stage was written.
    public var location: SourceLocation
    /// The plugin id.
    public var pluginID: String
    /// The plugin version.
    public var pluginVersion: Int
    /// The plugin's implementation digest.
    public var implementationDigest: String
    /// Parameters with defaults applied and paths normalised.
    public var params: [String: ParamValue]
    /// Inputs by port, in binding order.
    public var inputs: [String: [StageOutputReference]]
    /// Output ports.
    public var outputs: [ResolvedOutput]
    /// Project files read (from the signature's `fileParams`), normalised and sorted.
    public var fileDependencies: [String]
    /// Files to keep equal to outputs.
    public var materializations: [Materialization]
    /// Scheduling hint.
    public var cost: StageCost
    /// Values of the environment variables the plugin declares as changing its outputs
    /// (`StageSignature.keyedEnvironment`), read when the workflow was validated; part of the key.
    public var environment: [String: String] = [:]
    /// Whether its outputs must stay on this machine: marked `confidential: true`, or made from
    /// a confidential stage's outputs and not marked `confidential: false`. Never in the key.
    public var confidential = false
    /// `resources:` over the workflow's defaults: what a Slurm job running it asks for. Never in the key.
    public var resources = StageResources()

    /// `id@version`.
    public var pluginReference: String { "\(pluginID)@\(pluginVersion)" }
}

/// A validated workflow: stages in a topological order with their edges.
public struct StageGraph: Sendable {
    /// The workflow's name.
    public var workflowName: String
    /// Warnings validation found (legal but probably wrong), at their places.
    public var warnings: [Diagnostic] = []
    /// Its title.
    public var title: String?
    /// The paper it reruns (`paper:` — authors, year, doi …), for reports.
    public var paper: ParamValue? = nil
    /// The file it came from.
    public var file: String
    /// `executor:` as written (`run --executor` overrides it).
    public var executor: ExecutorKind? = nil
    /// Stages in topological order (file order among independent stages).
    public var stages: [ResolvedStage]
    /// Position of each stage in `stages`.
    public var index: [String: Int]
    /// For each stage, the positions of the stages it reads from.
    public var dependencies: [[Int]]
    /// For each stage, the positions of the stages that read from it.
    public var dependents: [[Int]]

    /// The stage named `name`.
    public func stage(_ name: String) -> ResolvedStage? { index[name].map { stages[$0] } }

    /// Positions of `start` and everything downstream of it, iteratively (chains of any depth).
    public func descendants(of start: Int) -> Set<Int> {
        var seen: Set<Int> = [start]
        var stack = [start]
        while let next = stack.popLast() {
            for dependent in dependents[next] where seen.insert(dependent).inserted { stack.append(dependent) }
        }
        return seen
    }

    /// Positions of `start` and everything it reads from, transitively.
    public func ancestors(of start: Int) -> Set<Int> {
        var seen: Set<Int> = [start]
        var stack = [start]
        while let next = stack.popLast() {
            for dependency in dependencies[next] where seen.insert(dependency).inserted { stack.append(dependency) }
        }
        return seen
    }

    /// The graph of `targets` and what they need (`run W.yaml STAGE…`), in the same order.
    public func needed(for targets: [Int]) -> StageGraph {
        let kept = targets.reduce(into: Set<Int>()) { $0.formUnion(ancestors(of: $1)) }.sorted()
        var position: [Int: Int] = [:]
        for (new, old) in kept.enumerated() { position[old] = new }
        var graph = self
        graph.stages = kept.map { stages[$0] }
        graph.dependencies = kept.map { dependencies[$0].compactMap { position[$0] } }
        graph.dependents = kept.map { dependents[$0].compactMap { position[$0] } }
        graph.index = Dictionary(uniqueKeysWithValues: graph.stages.enumerated().map { ($1.name, $0) })
        return graph
    }
}
