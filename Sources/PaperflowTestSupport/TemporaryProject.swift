import Foundation
import PaperflowCore

/// A throwaway project directory with `Workflows/` and `Artifacts/`, removed on `cleanUp()`.
public final class TemporaryProject: Sendable {
    /// The project root.
    public let root: URL

    /// Creates an empty project in the system's temporary directory.
    public init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("paperflow-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("Workflows"), withIntermediateDirectories: true)
    }

    /// Writes `text` to the project-relative `path`, creating folders; returns its URL.
    @discardableResult
    public func write(_ path: String, _ text: String) throws -> URL {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// Writes `Workflows/NAME.yaml`: `workflow: NAME` and the lines of `stages` (one
    /// `stage: {...}` per line, or a stage's indented continuation lines) under `stages:`.
    @discardableResult
    public func writeWorkflow(_ name: String, stages: String) throws -> URL {
        try write("Workflows/\(name).yaml", "workflow: \(name)\nstages:\n"
            + stages.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n")
    }

    /// Copies the test fixture `fixture` (a path under Tests/Fixtures) to the project-relative `path`.
    public func copy(fixture: String, to path: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.url(fixture), to: url)
    }

    /// Reads a project-relative file as text.
    public func read(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: root.appendingPathComponent(path)), as: UTF8.self)
    }

    /// The store of this project.
    public func store() throws -> ArtifactStore {
        try ArtifactStore(root: root.appendingPathComponent("Artifacts", isDirectory: true))
    }

    /// Loads and validates the workflow at project-relative `path` against `registry`.
    public func graph(_ path: String, registry: StageRegistry, overrides: [String] = []) throws -> StageGraph {
        let parsed = try overrides.enumerated().map { try Override(parsing: $1, index: $0 + 1) }
        return try WorkflowValidator(registry: registry, projectRoot: root)
            .open(root.appendingPathComponent(path), displayPath: path, overrides: parsed)
    }

    /// Runs the workflow at `path` in-process and returns the summary, the run record and the events.
    public func run(_ path: String, registry: StageRegistry, overrides: [String] = [], jobs: Int = 2,
                    keepGoing: Bool = false) throws -> (summary: RunSummary, record: RunRecord, events: [RecordedEvent]) {
        let graph = try graph(path, registry: registry, overrides: overrides)
        let sink = RecordingSink()
        let executor = Executor(graph: graph, registry: registry, store: try store(), projectRoot: root,
                                lockURL: WorkflowLock.url(forWorkflowAt: root.appendingPathComponent(path)),
                                options: ExecutionOptions(jobs: jobs, keepGoing: keepGoing, overrides: overrides), sink: sink)
        let summary = try executor.run()
        return (summary, try RunRecord(contentsOf: summary.recordURL), sink.events)
    }

    /// Removes the project. Never follows a symbolic link: a test's link to /tmp or to a file
    /// outside is removed as a link, and no mode outside the project changes.
    public func cleanUp() {
        FileSystem.removeTree(root.path)
    }
}

#if canImport(Glibc)
import Glibc
#endif
