import Foundation
import Logging

/// Runs one stage's plugin in its scratch folder and puts what it produced in the store: what
/// the Dispatch executor does on a cache miss, and what `paperflow exec-stage` does on a Slurm
/// node. The caller has keyed the stage and looked it up; it records the action and updates the
/// views (the run holding the store's lock does that, never a node).
public struct StageExecution: Sendable {
    /// The stage, as validated.
    public let stage: ResolvedStage
    /// Where its plugin comes from.
    public let registry: StageRegistry
    /// The store its inputs are in and its outputs go to.
    public let store: ArtifactStore
    /// The project root.
    public let projectRoot: URL
    /// Its inputs by port.
    public let inputs: [String: [StoredArtifact]]
    /// The digests of the project files its key was made from.
    public let files: [String: Digest]
    /// A fresh folder in the store's `tmp/` (with `out/`) the stage writes into.
    public let scratch: URL
    /// Set on Ctrl-C or `scancel`.
    public let cancellation: CancellationFlag
    /// Progress in 0...1.
    public var progress: @Sendable (Double) -> Void = { _ in }
    /// A warning or note the stage shows the user.
    public var report: @Sendable (Diagnostic.Severity, String) -> Void = { _, _ in }

    /// Thrown when the run was cancelled while the stage ran: nothing was stored.
    public struct Cancelled: Error {}

    /// Creates an execution.
    public init(stage: ResolvedStage, registry: StageRegistry, store: ArtifactStore, projectRoot: URL,
                inputs: [String: [StoredArtifact]], files: [String: Digest], scratch: URL, cancellation: CancellationFlag) {
        self.stage = stage
        self.registry = registry
        self.store = store
        self.projectRoot = projectRoot
        self.inputs = inputs
        self.files = files
        self.scratch = scratch
        self.cancellation = cancellation
    }

    /// Runs the stage and stores its outputs.
    /// - Returns: each output port's record.
    /// - Throws: `Cancelled`, or an error whose description says what failed (the stage's own
    ///   error, an input file changed while it ran, an output missing or undeclared).
    public func run() throws -> [String: OutputRecord] {
        guard let descriptor = registry.descriptor(for: stage.pluginID) else {
            throw StageFailure("plugin '\(stage.pluginID)' is not registered")
        }
        // The stage reads store copies of its input files, made from the bytes the key was
        // made from (a file edited since fails here, naming it, rather than being read).
        var copies: [String: URL] = [:]
        for (path, digest) in files where !FileSystem.isDirectory(projectRoot.appendingPathComponent(path).path) {
            do {
                copies[path] = try store.ingestCopy(ofFileAt: projectRoot.appendingPathComponent(path).path, expected: digest).url
            } catch {
                throw StageFailure("input file '\(path)': \(error)")
            }
        }
        var context = StageContext(stageName: stage.name, params: stage.params, inputs: inputs, projectRoot: projectRoot,
                                   scratchDirectory: scratch, fileDigests: files, cancellation: cancellation,
                                   logger: Logger(label: "paperflow.stage.\(stage.name)"), progress: progress, report: report)
        context.fileCopies = copies
        let produced: [String: Artifact]
        do {
            produced = try descriptor.makeRunner().run(context)
        } catch {
            if cancellation.isCancelled { throw Cancelled() }
            throw error
        }
        if cancellation.isCancelled { throw Cancelled() }
        // A command or plugin reads the project's files where they are: they must still be the
        // bytes the key was made from (a stat, and a rehash only if the stat changed).
        for (path, digest) in files.sorted(by: { $0.key < $1.key }) {
            let now = (try? store.inputDigest(ofPath: projectRoot.appendingPathComponent(path).path)) ?? nil
            if now != digest {
                throw StageFailure("input file '\(path)' changed while the stage ran; its outputs were not stored. Run again")
            }
        }
        for extra in produced.keys where !stage.outputs.contains(where: { $0.port == extra }) {
            throw StageFailure("produced output '\(extra)', which \(stage.pluginReference) does not declare")
        }
        var outputs: [String: OutputRecord] = [:]
        for output in stage.outputs {
            guard let artifact = produced[output.port] else {
                throw StageFailure("produced no output '\(output.port)'")
            }
            let stored: StoredArtifact
            switch artifact {
            case let .file(url):
                guard FileSystem.exists(url.path) else { throw StageFailure("output '\(output.port)': file \(url.path) was not written") }
                if url.standardizedFileURL.path.hasPrefix(scratch.standardizedFileURL.path + "/") {
                    stored = try store.ingest(fileAt: url)
                } else {
                    stored = try store.ingestCopy(ofOutputAt: url.path)
                }
            case let .bytes(data):
                stored = try store.ingest(data: data)
            case let .stored(artifact):
                guard case let .present(present) = store.check(artifact.digest) else {
                    throw StageFailure("output '\(output.port)': blob \(artifact.digest.short) is not in the store")
                }
                stored = present
            case let .projectFile(path):
                guard let expected = files[path] else { throw StageFailure("file '\(path)' is not a declared input file") }
                stored = try store.ingestCopy(ofFileAt: projectRoot.appendingPathComponent(path).path, expected: expected)
            }
            outputs[output.port] = OutputRecord(digest: stored.digest, size: stored.size, fileName: output.fileName)
        }
        return outputs
    }
}
