import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
///
/// Stored in a line format rather than JSON: a cache hit reads one per stage, and parsing
/// these few lines costs a fraction of a JSON decode.
/// ```
/// paperflow-action 1
/// key sha256:…
/// stage NAME
/// workflow NAME
/// run RUN-ID
/// seconds 0.0123
/// build VERSION sha256:…        (the build that ran the stage)
/// output PORT sha256:… SIZE FILE NAME (to the end of the line)
/// signature hmac-sha256:…        (only on a remote: see RemoteTrust)
/// ```
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
    /// The build that ran the stage.
    public var build: BuildIdentity
    /// An uploader's HMAC over `unsignedText` (remote records only; see `RemoteTrust`).
    public var signature: String?

    /// Creates a record.
    public init(key: Digest, stage: String, workflow: String, outputs: [String: OutputRecord], runID: String, seconds: Double,
                build: BuildIdentity = .unknown) {
        self.key = key
        self.stage = stage
        self.workflow = workflow
        self.outputs = outputs
        self.runID = runID
        self.seconds = seconds
        self.build = build
    }

    /// The record in its line format, with its signature if it has one.
    public var text: String {
        unsignedText + (signature.map { "signature \($0)\n" } ?? "")
    }

    /// The record in its line format without the signature: what a signature signs.
    public var unsignedText: String {
        var lines = ["paperflow-action 1", "key \(key)", "stage \(stage)", "workflow \(workflow)", "run \(runID)",
                     "seconds \(seconds)", "build \(build.version) \(build.fingerprint)"]
        for port in outputs.keys.sorted() {
            let output = outputs[port]!
            lines.append("output \(port) \(output.digest) \(output.size) \(output.fileName)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses the line format; `nil` for anything else (a torn or foreign file).
    public init?(text: Substring) {
        var text = text
        guard let record = text.withUTF8({ Self(utf8: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = record
    }

    /// Parses the line format from its bytes: a cache hit reads one record per stage, so the
    /// lines are cut by byte, and only the fields' values become strings.
    public init?(utf8 bytes: UnsafeRawBufferPointer) {
        func string(_ range: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        func equals(_ range: Range<Int>, _ word: StaticString) -> Bool {
            range.count == word.utf8CodeUnitCount && memcmp(bytes.baseAddress! + range.lowerBound, word.utf8Start, range.count) == 0
        }
        var key: Digest?, stage: String?, workflow: String?, run: String?, seconds: Double?, build = BuildIdentity.unknown
        var signature: String?
        var outputs: [String: OutputRecord] = [:]
        var start = 0, first = true
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            defer { start = end + 1 }
            if end == start { continue }
            if first {
                guard equals(start..<end, "paperflow-action 1") else { return nil }
                first = false
                continue
            }
            guard let space = (start..<end).first(where: { bytes[$0] == 0x20 }) else { return nil }
            let name = start..<space, rest = (space + 1)..<end
            if equals(name, "output") {
                // PORT DIGEST SIZE FILE NAME (the file name runs to the end of the line)
                var cuts: [Int] = []
                for i in rest where bytes[i] == 0x20 && cuts.count < 3 { cuts.append(i) }
                guard cuts.count == 3, let digest = Digest(parsing: string((cuts[0] + 1)..<cuts[1])),
                      let size = Int64(string((cuts[1] + 1)..<cuts[2])) else { return nil }
                outputs[string(rest.lowerBound..<cuts[0])] = OutputRecord(digest: digest, size: size, fileName: string((cuts[2] + 1)..<end))
            } else if equals(name, "key") { key = Digest(parsing: string(rest))
            } else if equals(name, "stage") { stage = string(rest)
            } else if equals(name, "workflow") { workflow = string(rest)
            } else if equals(name, "run") { run = string(rest)
            } else if equals(name, "seconds") { seconds = Double(string(rest))
            } else if equals(name, "signature") { signature = string(rest)
            } else if equals(name, "build") {
                let parts = string(rest).split(separator: " ")
                if parts.count == 2 { build = BuildIdentity(version: String(parts[0]), fingerprint: String(parts[1])) }
            }
        }
        guard !first, let key, let stage, let workflow, let run, let seconds else { return nil }
        self.init(key: key, stage: stage, workflow: workflow, outputs: outputs, runID: run, seconds: seconds, build: build)
        self.signature = signature
    }
}

extension OutputRecord {
    /// The record as a JSON tree (field names as in its Codable form).
    var json: ParamValue {
        .map(["digest": .string(digest.description), "size": .int(size), "fileName": .string(fileName)])
    }
}

extension KeyIngredients {
    /// The ingredients as a JSON tree (field names as in their Codable form).
    var json: ParamValue {
        .map([
            "plugin": .string(plugin), "version": .int(Int64(version)), "implementation": .string(implementation),
            "params": .map(params),
            "inputs": .map(inputs.mapValues { .list($0.map { .string($0.description) }) }),
            "files": .map(files.mapValues { .string($0.description) }),
        ].merging(environment.isEmpty ? [:] : ["environment": .map(environment.mapValues(ParamValue.string))]) { a, _ in a })
    }
}

/// A stage's Slurm jobs, for the run record and the report: each attempt's job and how it
/// ended, and the stage process's peak memory.
public struct SlurmJobs: Sendable, Codable, Hashable {
    /// Every attempt, first to last.
    public var attempts: [SlurmAttempt] = []
    /// Peak resident memory of the stage process on its node (bytes, from the reply).
    public var maxRSS: Int64?

    /// Creates an empty record.
    public init() {}
}

/// One submission of a stage.
public struct SlurmAttempt: Sendable, Codable, Hashable {
    /// The job id (`123`, or `123_4` for an array task).
    public var job: String
    /// How it ended.
    public var state: String
    /// Where it ran.
    public var node: String?
    /// Its run time as Slurm prints it.
    public var elapsed: String?
    /// The memory it asked for, in megabytes.
    public var memoryMegabytes: Int?
    /// Its time limit, in seconds.
    public var timeSeconds: Int?
}

extension SlurmJobs {
    /// The record as a JSON tree (field names as in its Codable form).
    var json: ParamValue {
        var fields: [String: ParamValue] = ["attempts": .list(attempts.map { attempt in
            var fields: [String: ParamValue] = ["job": .string(attempt.job), "state": .string(attempt.state)]
            if let node = attempt.node { fields["node"] = .string(node) }
            if let elapsed = attempt.elapsed { fields["elapsed"] = .string(elapsed) }
            if let memory = attempt.memoryMegabytes { fields["memoryMegabytes"] = .int(Int64(memory)) }
            if let time = attempt.timeSeconds { fields["timeSeconds"] = .int(Int64(time)) }
            return .map(fields)
        })]
        if let maxRSS { fields["maxRSS"] = .int(maxRSS) }
        return .map(fields)
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
    /// The build that ran it (absent in records of builds before it was recorded).
    public var paperflow: BuildIdentity?
    /// The experiment it was, if any.
    public var experiment: String?
    /// The machine that ran it (absent in records of builds before it was recorded).
    public var machine: MachineDescription? = nil
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
    /// Under the Slurm executor: the stage's jobs.
    public var slurm: SlurmJobs?

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

extension StageRecord {
    /// The record as one compact JSON line (what `RunRecordWriter` appends).
    var jsonLine: [UInt8] {
        var fields: [String: ParamValue] = ["kind": .string(kind), "stage": .string(stage), "status": .string(status.rawValue),
                                            "host": .string(host)]
        if let key { fields["key"] = .string(key.description) }
        if let ingredients { fields["ingredients"] = ingredients.json }
        if let outputs { fields["outputs"] = .map(outputs.mapValues(\.json)) }
        if let started { fields["started"] = .double(started) }
        if let finished { fields["finished"] = .double(finished) }
        if let seconds { fields["seconds"] = .double(seconds) }
        if let message { fields["message"] = .string(message) }
        if let slurm { fields["slurm"] = slurm.json }
        return JSONText.compact(.map(fields))
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
