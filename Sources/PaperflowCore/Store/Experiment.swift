import Foundation

/// A named experiment: a run with `--set` overrides (or `--name`) that leaves the workflow's
/// committed lock, exports and views alone — DVC's `exp run`. It is kept as two files under
/// `Artifacts/experiments/<workflow>/`: `<name>.json` (what was changed, which run, how it ended)
/// and `<name>.lock` (every stage's key and outputs, in the lock format, so `gc` keeps them and
/// `diff` reads them like the committed lock).
public struct Experiment: Sendable, Codable, Equatable {
    public var name: String
    public var workflow: String
    /// The workflow file, project-relative.
    public var file: String
    public var overrides: [String]
    public var runID: String
    public var started: Double
    public var succeeded: Bool
    /// The stages of a matrix axis the overrides set (`--set stages.model.matrix.uses=[…]`):
    /// one experiment, several members.
    public var members: [String]

    public init(name: String, workflow: String, file: String, overrides: [String], runID: String, started: Double, succeeded: Bool,
                members: [String] = []) {
        self.name = name
        self.workflow = workflow
        self.file = file
        self.overrides = overrides
        self.runID = runID
        self.started = started
        self.succeeded = succeeded
        self.members = members
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        workflow = try container.decode(String.self, forKey: .workflow)
        file = try container.decode(String.self, forKey: .file)
        overrides = try container.decode([String].self, forKey: .overrides)
        runID = try container.decode(String.self, forKey: .runID)
        started = try container.decode(Double.self, forKey: .started)
        succeeded = try container.decode(Bool.self, forKey: .succeeded)
        members = try container.decodeIfPresent([String].self, forKey: .members) ?? []
    }

    /// The folder of a workflow's experiments.
    public static func folder(_ workflow: String, in store: ArtifactStore) -> URL {
        store.root.appendingPathComponent("experiments", isDirectory: true).appendingPathComponent(workflow, isDirectory: true)
    }

    /// Writes the record and the stages' lock (atomically, replacing an experiment of that name).
    public func write(stages: WorkflowLock, in store: ArtifactStore) throws {
        let folder = Self.folder(workflow, in: store)
        let safe = ArtifactStore.safeFileName(name)
        try stages.write(to: folder.appendingPathComponent("\(safe).lock"))
        let json: ParamValue = .map([
            "name": .string(name), "workflow": .string(workflow), "file": .string(file),
            "overrides": .list(overrides.map(ParamValue.string)), "run": .string(runID),
            "started": .double(started), "succeeded": .bool(succeeded), "members": .list(members.map(ParamValue.string)),
        ])
        try FileSystem.writeAtomically(Data(JSONText.pretty(json)), to: folder.appendingPathComponent("\(safe).json"))
    }

    /// The stages' lock of this experiment.
    public func stages(in store: ArtifactStore) throws -> WorkflowLock? {
        try WorkflowLock.read(from: Self.folder(workflow, in: store).appendingPathComponent("\(ArtifactStore.safeFileName(name)).lock"))
    }

    /// Every experiment in the store (of `workflow`, when given), oldest first.
    public static func all(in store: ArtifactStore, workflow: String? = nil) -> [Experiment] {
        let root = store.root.appendingPathComponent("experiments", isDirectory: true)
        let workflows = workflow.map { [$0] } ?? ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
        var found: [Experiment] = []
        for name in workflows {
            let folder = root.appendingPathComponent(name, isDirectory: true)
            for file in ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []) where file.hasSuffix(".json") {
                guard let data = try? Data(contentsOf: folder.appendingPathComponent(file)),
                      let experiment = try? JSONDecoder().decode(Experiment.self, from: data) else { continue }
                found.append(experiment)
            }
        }
        return found.sorted { ($0.started, $0.name) < ($1.started, $1.name) }
    }

    enum CodingKeys: String, CodingKey {
        case name, workflow, file, overrides, runID = "run", started, succeeded, members
    }
}
