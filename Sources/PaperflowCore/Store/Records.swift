import Foundation

/// One output of a finished stage as recorded in the action cache, run records and lock files.
public struct OutputRecord: Sendable, Hashable, Codable {
    /// Content digest.
    public var digest: Digest
    /// Size in bytes.
    public var size: Int64
    /// File name of the human-facing copy.
    public var fileName: String

    /// Creates a record.
    public init(digest: Digest, size: Int64, fileName: String) {
        self.digest = digest
        self.size = size
        self.fileName = fileName
    }
}

/// The action cache's entry: a stage key and the outputs it produced.
public struct ActionRecord: Sendable, Hashable, Codable {
    /// The stage key.
    public var key: Digest
    /// The stage that produced it (informational: keys do not depend on names).
    public var stage: String
    /// The workflow it ran in (informational).
    public var workflow: String
    /// Outputs by port.
    public var outputs: [String: OutputRecord]
    /// The run that produced it.
    public var runID: String
    /// How long the stage took, in seconds.
    public var seconds: Double

    /// Creates a record.
    public init(key: Digest, stage: String, workflow: String, outputs: [String: OutputRecord], runID: String, seconds: Double) {
        self.key = key
        self.stage = stage
        self.workflow = workflow
        self.outputs = outputs
        self.runID = runID
        self.seconds = seconds
    }
}

/// How a stage ended in a run.
public enum StageOutcome: String, Sendable, Hashable, Codable {
    /// Executed, outputs stored.
    case ran
    /// Outputs taken from the action cache.
    case cached
    /// Executed and failed.
    case failed
    /// Not run: an upstream stage failed, or fail-fast stopped the run.
    case skipped
    /// Not finished: the run was interrupted.
    case cancelled
}

/// The first line of a run record.
public struct RunHeader: Sendable, Codable {
    public var kind = "run"
    /// Unique id: UTC time and process id.
    public var runID: String
    /// Workflow name.
    public var workflow: String
    /// The workflow file as named.
    public var file: String
    /// Start time, seconds since 1970.
    public var started: Double
    /// Host that ran it.
    public var host: String
    /// Concurrency limit.
    public var jobs: Int
    /// The `--set` overrides given.
    public var overrides: [String]
}

/// One line of a run record per stage, appended as the stage ends.
public struct StageRecord: Sendable, Codable {
    public var kind = "stage"
    /// Stage name.
    public var stage: String
    /// How it ended.
    public var status: StageOutcome
    /// Its key, once known.
    public var key: Digest?
    /// Everything the key was made of.
    public var ingredients: KeyIngredients?
    /// Outputs, for ran and cached stages.
    public var outputs: [String: OutputRecord]?
    /// Start, seconds since 1970.
    public var started: Double?
    /// End, seconds since 1970.
    public var finished: Double?
    /// Wall time in seconds.
    public var seconds: Double?
    /// Host.
    public var host: String
    /// Failure or skip reason.
    public var message: String?

    /// Creates a record.
    public init(stage: String, status: StageOutcome, key: Digest? = nil, ingredients: KeyIngredients? = nil,
                outputs: [String: OutputRecord]? = nil, started: Double? = nil, finished: Double? = nil,
                host: String, message: String? = nil) {
        self.stage = stage
        self.status = status
        self.key = key
        self.ingredients = ingredients
        self.outputs = outputs
        self.started = started
        self.finished = finished
        self.seconds = started.flatMap { s in finished.map { $0 - s } }
        self.host = host
        self.message = message
    }
}

/// The last line of a complete run record.
public struct RunFooter: Sendable, Codable {
    public var kind = "end"
    /// End time, seconds since 1970.
    public var finished: Double
    /// Whether every stage succeeded.
    public var succeeded: Bool
    /// Stages by outcome.
    public var counts: [String: Int]
}

/// A run record read back: header, one entry per stage in the order they ended, footer if complete.
public struct RunRecord: Sendable {
    public var header: RunHeader
    public var stages: [StageRecord]
    public var footer: RunFooter?

    /// Reads a `.jsonl` run record; a torn last line (a killed run) is ignored.
    public init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        let decoder = JSONDecoder()
        var header: RunHeader?
        var stages: [StageRecord] = []
        var footer: RunFooter?
        for line in data.split(separator: UInt8(ascii: "\n")) {
            let bytes = Data(line)
            if let record = try? decoder.decode(StageRecord.self, from: bytes), record.kind == "stage" {
                stages.append(record)
            } else if let h = try? decoder.decode(RunHeader.self, from: bytes), h.kind == "run" {
                header = h
            } else if let f = try? decoder.decode(RunFooter.self, from: bytes), f.kind == "end" {
                footer = f
            }
        }
        guard let header else { throw StoreError.corruptRecord(url.path, "no header line") }
        self.header = header
        self.stages = stages
        self.footer = footer
    }

    /// Names of stages with the given outcome, in the order they ended.
    public func stages(_ outcome: StageOutcome) -> [String] {
        stages.filter { $0.status == outcome }.map(\.stage)
    }
}
