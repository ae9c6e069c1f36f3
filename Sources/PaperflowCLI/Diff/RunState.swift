import Foundation
import PaperflowCore

/// One side of a `paperflow diff`: a workflow's stages as some run left them — the committed lock,
/// a run record (`last` or a run id) or a named experiment — each with its key, the ingredients
/// of that key and its outputs.
struct RunState {
    /// How the side was named, and what it resolved to.
    var label: String
    var workflow: String
    /// The workflow file, project-relative.
    var file: String
    var entries: [String: WorkflowLock.Entry]

    enum Problem: Error, CustomStringConvertible {
        case unknown(String, [String])
        case needsWorkflow(String)
        var description: String {
            switch self {
            case let .unknown(text, experiments):
                return "'\(text)' is not 'lock', 'last', a run id or an experiment"
                    + (experiments.isEmpty ? "" : "; experiments: \(experiments.joined(separator: ", "))")
            case let .needsWorkflow(text):
                return "'\(text)' needs a workflow: add --workflow Workflows/NAME.yaml"
            }
        }
    }

    /// Resolves `text`: `lock`, `last`, a run id, or an experiment name. `workflowFile` (project-
    /// relative) says which workflow `lock` and `last` mean.
    static func resolve(_ text: String, workflowFile: String?, projectRoot: URL, store: ArtifactStore) throws -> RunState {
        let index = IngredientIndex(store: store, projectRoot: projectRoot)
        switch text {
        case "lock":
            guard let file = workflowFile else { throw Problem.needsWorkflow(text) }
            let url = WorkflowLock.url(forWorkflowAt: projectRoot.appendingPathComponent(file))
            guard let lock = try WorkflowLock.read(from: url) else { throw Problem.unknown("\(file)'s lock (it has none: run it first)", []) }
            return RunState(label: "lock (\(url.lastPathComponent))", workflow: lock.workflow, file: file, entries: lock.stages)
        case "last":
            guard let file = workflowFile else { throw Problem.needsWorkflow(text) }
            for url in store.runRecordURLs().reversed() {
                guard let record = try? RunRecord(contentsOf: url), record.header.file == file else { continue }
                return state(of: record, label: "last (run \(record.header.runID))", index: index)
            }
            throw Problem.unknown("last (no run of \(file) is recorded)", [])
        default:
            let experiments = Experiment.all(in: store).filter { $0.name == text && (workflowFile == nil || $0.file == workflowFile) }
            if let experiment = experiments.last, let lock = try experiment.stages(in: store) {
                return RunState(label: "\(text) (experiment: \(experiment.overrides.joined(separator: " ")))", workflow: experiment.workflow,
                                file: experiment.file, entries: lock.stages.mapValues { index.complete($0) })
            }
            let url = store.runsDirectory.appendingPathComponent("\(text).jsonl")
            if let record = try? RunRecord(contentsOf: url) { return state(of: record, label: "run \(text)", index: index) }
            throw Problem.unknown(text, Experiment.all(in: store).map(\.name))
        }
    }

    static func state(of record: RunRecord, label: String, index: IngredientIndex) -> RunState {
        var entries: [String: WorkflowLock.Entry] = [:]
        for stage in record.stages {
            guard let key = stage.key, let outputs = stage.outputs else { continue }
            let ingredients = stage.ingredients ?? index.ingredients(of: key)
            entries[stage.stage] = WorkflowLock.Entry(key: key, ingredients: ingredients ?? IngredientIndex.unknown, outputs: outputs)
        }
        return RunState(label: label, workflow: record.header.workflow, file: record.header.file, entries: entries)
    }
}

/// Finds the ingredients of a key that a record names but did not compute (a cached stage): in the
/// committed locks, experiments' locks, and the run records that executed it.
final class IngredientIndex {
    let store: ArtifactStore
    let projectRoot: URL
    private var known: [Digest: KeyIngredients]?

    /// Stands in for ingredients nothing recorded (a run record pruned by `gc`).
    static let unknown = KeyIngredients(plugin: "?", version: 0, implementation: "?", params: [:], inputs: [:], files: [:])

    init(store: ArtifactStore, projectRoot: URL) {
        self.store = store
        self.projectRoot = projectRoot
    }

    func complete(_ entry: WorkflowLock.Entry) -> WorkflowLock.Entry {
        guard entry.ingredients.plugin == "?" else { return entry }
        var entry = entry
        entry.ingredients = ingredients(of: entry.key) ?? entry.ingredients
        return entry
    }

    func ingredients(of key: Digest) -> KeyIngredients? {
        if known == nil { known = build() }
        return known?[key]
    }

    private func build() -> [Digest: KeyIngredients] {
        var map: [Digest: KeyIngredients] = [:]
        for url in store.runRecordURLs() {
            guard let record = try? RunRecord(contentsOf: url) else { continue }
            for stage in record.stages { if let key = stage.key, let ingredients = stage.ingredients { map[key] = ingredients } }
        }
        let folders = [projectRoot.appendingPathComponent("Workflows"), store.root.appendingPathComponent("experiments")]
        for folder in folders {
            guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where url.pathExtension == "lock" {
                for entry in (try? WorkflowLock.read(from: url))??.stages.values ?? [:].values where entry.ingredients.plugin != "?" {
                    map[entry.key] = entry.ingredients
                }
            }
        }
        return map
    }
}
