import Foundation

/// `Workflows/NAME.lock`: every stage's key, ingredients and output digests after a run —
/// commit it and a reviewer sees exactly what changed (like `dvc.lock`). Written once per run.
public struct WorkflowLock: Sendable, Codable, Equatable {
    /// One stage's entry.
    public struct Entry: Sendable, Codable, Equatable {
        /// The stage key.
        public var key: Digest
        /// What the key was made of.
        public var ingredients: KeyIngredients
        /// Outputs by port.
        public var outputs: [String: OutputRecord]
        /// Its outputs never leave this machine (`cache export`, `push` and `--remote` skip them).
        public var confidential: Bool

        /// Creates an entry.
        public init(key: Digest, ingredients: KeyIngredients, outputs: [String: OutputRecord], confidential: Bool = false) {
            self.key = key
            self.ingredients = ingredients
            self.outputs = outputs
            self.confidential = confidential
        }

        enum CodingKeys: String, CodingKey { case key, ingredients, outputs, confidential }

        /// Decodes an entry; `confidential` is written only when true.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(key: try container.decode(Digest.self, forKey: .key),
                      ingredients: try container.decode(KeyIngredients.self, forKey: .ingredients),
                      outputs: try container.decode([String: OutputRecord].self, forKey: .outputs),
                      confidential: try container.decodeIfPresent(Bool.self, forKey: .confidential) ?? false)
        }
    }

    /// Format version.
    public var schema: Int = 1
    /// The workflow's name.
    public var workflow: String
    /// Entries by stage name.
    public var stages: [String: Entry]
    /// The build that wrote it (absent in locks written before builds were recorded).
    public var paperflow: BuildIdentity?

    /// Creates a lock.
    public init(workflow: String, stages: [String: Entry], paperflow: BuildIdentity? = nil) {
        self.workflow = workflow
        self.stages = stages
        self.paperflow = paperflow
    }

    /// Where the lock of the workflow file at `workflowURL` lives: beside it, `.yaml` → `.lock`.
    public static func url(forWorkflowAt workflowURL: URL) -> URL {
        workflowURL.deletingPathExtension().appendingPathExtension("lock")
    }

    /// Reads a lock file; `nil` when there is none.
    /// - Throws: `StoreError.corruptRecord` when it exists but cannot be decoded.
    public static func read(from url: URL) throws -> WorkflowLock? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        do {
            return try JSONDecoder().decode(WorkflowLock.self, from: data)
        } catch {
            throw StoreError.corruptRecord(url.path, "\(error)")
        }
    }

    /// The deterministic bytes of the lock: sorted keys, two-space indentation, trailing newline.
    public func encoded() throws -> Data {
        var fields: [String: ParamValue] = [
            "schema": .int(Int64(schema)),
            "workflow": .string(workflow),
            "stages": .map(stages.mapValues { entry in
                var fields: [String: ParamValue] = ["key": .string(entry.key.description), "ingredients": entry.ingredients.json,
                                                    "outputs": .map(entry.outputs.mapValues(\.json))]
                if entry.confidential { fields["confidential"] = .bool(true) }
                return .map(fields)
            }),
        ]
        if let paperflow { fields["paperflow"] = paperflow.json }
        return Data(JSONText.pretty(.map(fields)))
    }

    /// Writes the lock atomically, and only if its bytes changed (a no-op run touches nothing).
    public func write(to url: URL) throws {
        let data = try encoded()
        if let existing = try? Data(contentsOf: url), existing == data { return }
        try FileSystem.writeAtomically(data, to: url)
    }

    /// What the lock's bytes are a function of, in a few bytes: every stage's name, key,
    /// outputs and confidentiality, and the build. (Ingredients are not needed: a key is their
    /// hash.) Two locks with equal summaries have equal bytes.
    public var summary: Digest {
        var encoder = CanonicalEncoder()
        encoder.append("paperflow-lock-summary")
        encoder.append(Int64(schema))
        encoder.append(workflow)
        encoder.append(paperflow?.version ?? "")
        encoder.append(paperflow?.fingerprint ?? "")
        for name in stages.keys.sorted() {
            let entry = stages[name]!
            encoder.append(name)
            encoder.append(entry.key.description)
            encoder.append(entry.confidential ? "confidential" : "")
            for port in entry.outputs.keys.sorted() {
                encoder.append(port)
                encoder.append(entry.outputs[port]!.digest.description)
                encoder.append(entry.outputs[port]!.fileName)
            }
        }
        return encoder.digest
    }

    /// `write(to:)`, skipped when `stamp` says the file at `url` is, untouched since, the lock
    /// of the same summary: a no-op run of 500 stages spent 8% of its time encoding the lock
    /// only to find the same bytes.
    public func write(to url: URL, stamp: URL) throws {
        let summary = self.summary
        if let text = try? String(contentsOf: stamp, encoding: .utf8), let identity = FileSystem.identity(ofFileAt: url.path),
           text == Self.stampText(identity, summary) {
            return
        }
        try write(to: url)
        if let identity = FileSystem.identity(ofFileAt: url.path) {
            try? FileSystem.writeAtomically(Data(Self.stampText(identity, summary).utf8), to: stamp)
        }
    }

    static func stampText(_ id: FileIdentity, _ summary: Digest) -> String {
        "\(id.device) \(id.inode) \(id.size) \(id.mtimeNanoseconds) \(id.ctimeNanoseconds) \(summary)\n"
    }
}
