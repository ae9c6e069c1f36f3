import Foundation
import Logging

/// A built-in stage plugin: a static type with an id, a version and a signature.
///
/// `version` is the major version users write (`@N`): bump it when ports or parameters change
/// incompatibly. Output changes need no bump: the cache key carries a fingerprint of the code and
/// data the stage runs on, made at build time (BuiltinFingerprints in PaperflowStages).
public protocol Stage: StageRunner {
    /// The plugin id used in workflows (`relatedness.density`).
    static var id: String { get }
    /// The plugin's major version (ports and parameters); part of the cache key.
    static var version: Int { get }
    /// Ports, parameters and documentation.
    static var signature: StageSignature { get }
    /// Creates the stage; stages hold no state between runs.
    init()
}

/// Runs one stage invocation. Built-in stages and external-process plugins both conform.
public protocol StageRunner: Sendable {
    /// Computes the stage's outputs.
    /// - Returns: one artifact per output port, keyed by port name.
    /// - Throws: `StageFailure` (or any error) when the stage cannot produce its outputs.
    func run(_ context: StageContext) throws -> [String: Artifact]
}

/// An output a stage produced: a file it wrote in its scratch directory, or bytes.
public enum Artifact: Sendable {
    /// A file the stage wrote (usually at `context.outputURL(...)`); the engine moves it into the store.
    case file(URL)
    /// Bytes held in memory; the engine writes them into the store.
    case bytes(Data)
    /// A project file named by one of the signature's `fileParams` (project-relative): the
    /// engine copies it into the store and checks it still has the digest the key was made with.
    case projectFile(String)
    /// An artifact already in the store (an input passed through unchanged).
    case stored(StoredArtifact)
}

/// An artifact already in the store, as a stage sees its inputs.
public struct StoredArtifact: Sendable, Hashable {
    /// Its content digest.
    public var digest: Digest
    /// Its size in bytes.
    public var size: Int64
    /// The read-only blob in the content-addressed store.
    public var url: URL

    /// Creates a reference to a stored blob.
    public init(digest: Digest, size: Int64, url: URL) {
        self.digest = digest
        self.size = size
        self.url = url
    }

    /// Reads the whole blob.
    public func data() throws -> Data { try Data(contentsOf: url) }
}

/// A failure a stage reports: the message is shown to the user with the stage's name.
public struct StageFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong and how to fix it.
    public var message: String
    /// Creates a failure.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Everything a stage may read while it runs.
public struct StageContext: Sendable {
    /// The stage's name in the workflow.
    public var stageName: String
    /// Resolved parameters (defaults applied).
    public var params: [String: ParamValue]
    /// Input artifacts by port, in binding order.
    public var inputs: [String: [StoredArtifact]]
    /// The project root: relative paths in parameters are resolved against it.
    public var projectRoot: URL
    /// A fresh directory the stage may write into; outputs are taken from here.
    public var scratchDirectory: URL
    /// Content digests of the files named by the signature's `fileParams`, by relative path.
    public var fileDigests: [String: Digest]
    /// Read-only copies in the store of those files, made from exactly the bytes their digests
    /// were taken from: `projectURL` hands these out, so a file edited while the stage runs
    /// cannot change what the stage reads.
    public var fileCopies: [String: URL] = [:]
    /// Set when the run is cancelled (Ctrl-C or a failure elsewhere under fail-fast).
    public var cancellation: CancellationFlag
    /// A file the stage may write its log to (kept as `Artifacts/<workflow>/<stage>.log`).
    public var logURL: URL { scratchDirectory.appendingPathComponent("stage.log") }
    /// The stage's logger.
    public var logger: Logger
    /// Reports progress in 0...1 to the live display.
    public var progress: @Sendable (Double) -> Void
    /// Shows the user a warning or note about this stage (an external plugin's diagnostics).
    public var report: @Sendable (Diagnostic.Severity, String) -> Void

    /// Creates a context (the executor does; tests may too).
    public init(stageName: String, params: [String: ParamValue], inputs: [String: [StoredArtifact]],
                projectRoot: URL, scratchDirectory: URL, fileDigests: [String: Digest] = [:],
                cancellation: CancellationFlag = CancellationFlag(), logger: Logger = Logger(label: "paperflow.stage"),
                progress: @escaping @Sendable (Double) -> Void = { _ in },
                report: @escaping @Sendable (Diagnostic.Severity, String) -> Void = { _, _ in }) {
        self.stageName = stageName
        self.params = params
        self.inputs = inputs
        self.projectRoot = projectRoot
        self.scratchDirectory = scratchDirectory
        self.fileDigests = fileDigests
        self.cancellation = cancellation
        self.logger = logger
        self.progress = progress
        self.report = report
    }

    /// The single artifact bound to `port`.
    /// - Throws: `StageFailure` when the port is unbound.
    public func input(_ port: String) throws -> StoredArtifact {
        guard let artifact = inputs[port]?.first else {
            throw StageFailure("input '\(port)' is not bound; add it under 'inputs:'")
        }
        return artifact
    }

    /// Where to write the output file `name` (inside the scratch directory).
    public func outputURL(_ name: String) -> URL {
        scratchDirectory.appendingPathComponent("out", isDirectory: true).appendingPathComponent(name)
    }

    /// A string parameter (validation has checked its type).
    public func string(_ name: String) -> String? { params[name]?.stringValue }

    /// An integer parameter.
    public func int(_ name: String) -> Int64? { params[name]?.intValue }

    /// A number parameter (integers widen).
    public func double(_ name: String) -> Double? { params[name]?.doubleValue }

    /// A boolean parameter.
    public func bool(_ name: String) -> Bool? { params[name]?.boolValue }

    /// A project-relative path parameter resolved against the project root; for a declared
    /// input file, its store copy (the bytes the key was made from).
    public func projectURL(_ relativePath: String) -> URL {
        fileCopies[relativePath] ?? projectRoot.appendingPathComponent(relativePath)
    }
}
