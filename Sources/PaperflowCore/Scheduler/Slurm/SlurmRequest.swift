import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `paperflow exec-stage` is asked to do on a node: which stage of which workflow, under
/// which key, from which inputs. The node reloads the workflow (with the run's overrides),
/// recomputes the stage's key from these inputs and refuses to run under any other key — a
/// node with another build or another copy of the project cannot store wrong bytes under it.
public struct StageRequest: Sendable, Codable, Hashable {
    /// The format, for a node running an older or newer build.
    public var format = 1
    /// The run that submitted it.
    public var runID: String
    /// The project root (shared with the nodes).
    public var projectRoot: String
    /// The workflow file, absolute.
    public var workflow: String
    /// The workflow as the user named it (diagnostics).
    public var displayPath: String
    /// The run's `--set` arguments.
    public var overrides: [String]
    /// The stage's name.
    public var stage: String
    /// The key the stage runs under.
    public var key: Digest
    /// Its inputs by port.
    public var inputs: [String: [OutputRecord]]
    /// The project files' digests the key was made from.
    public var files: [String: Digest]
    /// Its scratch folder in the store's `tmp/`.
    public var scratch: String
    /// The store's root.
    public var store: String
    /// Where the node writes its `StageReply`.
    public var reply: String

    /// Creates a request.
    public init(runID: String, projectRoot: String, workflow: String, displayPath: String, overrides: [String], stage: String,
                key: Digest, inputs: [String: [OutputRecord]], files: [String: Digest], scratch: String, store: String, reply: String) {
        self.runID = runID
        self.projectRoot = projectRoot
        self.workflow = workflow
        self.displayPath = displayPath
        self.overrides = overrides
        self.stage = stage
        self.key = key
        self.inputs = inputs
        self.files = files
        self.scratch = scratch
        self.store = store
        self.reply = reply
    }
}

/// What a node answers: the outputs it put in the store under the request's key, or why not.
public struct StageReply: Sendable, Codable, Hashable {
    /// The key it ran under (equal to the request's).
    public var key: Digest?
    /// Outputs by port, when the stage succeeded.
    public var outputs: [String: OutputRecord]?
    /// Why it failed.
    public var error: String?
    /// Warnings and notes the stage showed.
    public var notes: [Note] = []
    /// The node's host name.
    public var host: String
    /// Seconds the stage ran.
    public var seconds: Double
    /// Peak resident memory of the stage process and its children, in bytes (getrusage).
    public var maxRSS: Int64?

    /// One warning or note.
    public struct Note: Sendable, Codable, Hashable {
        public var warning: Bool
        public var message: String
        public init(warning: Bool, message: String) {
            self.warning = warning
            self.message = message
        }
    }

    /// Creates a reply.
    public init(key: Digest?, outputs: [String: OutputRecord]?, error: String?, notes: [Note], host: String, seconds: Double,
                maxRSS: Int64?) {
        self.key = key
        self.outputs = outputs
        self.error = error
        self.notes = notes
        self.host = host
        self.seconds = seconds
        self.maxRSS = maxRSS
    }

    /// The peak resident memory of this process and its waited-for children, in bytes.
    public static func peakMemory() -> Int64 {
        var own = rusage(), children = rusage()
        getrusage(RUSAGE_SELF.rawValue, &own)
        getrusage(RUSAGE_CHILDREN.rawValue, &children)
        return Int64(max(own.ru_maxrss, children.ru_maxrss)) * 1024
    }
}

extension Encodable {
    /// Sorted-key JSON, written by rename so a reader never sees half of it.
    func writeJSON(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileSystem.writeAtomically(try encoder.encode(self), to: url)
    }
}

extension Decodable {
    /// Reads a value `writeJSON` wrote.
    static func readJSON(from url: URL) throws -> Self {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: url))
    }
}

extension StageRequest {
    /// Reads a request file.
    public static func read(from url: URL) throws -> StageRequest { try readJSON(from: url) }
    /// Writes it (by rename).
    public func write(to url: URL) throws { try writeJSON(to: url) }
}

extension StageReply {
    /// Reads a reply file.
    public static func read(from url: URL) throws -> StageReply { try readJSON(from: url) }
    /// Writes it (by rename).
    public func write(to url: URL) throws { try writeJSON(to: url) }
}
