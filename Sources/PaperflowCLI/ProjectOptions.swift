import ArgumentParser
import Foundation
import PaperflowCore
import PaperflowStages

/// Options every command that reads a workflow shares.
struct ProjectOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The project root: paths in workflows are relative to it, the store is its Artifacts/.",
                                            valueName: "dir"))
    var project: String?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a value without editing the file: params.NAME=V, stages.S.uses=ID@N, stages.S.with.NAME=V, stages.S.matrix.NAME=[...], stages.S.inputs.PORT=S2.OUT.",
        valueName: "path=value"))
    var overrides: [String] = []

    /// The project root as a URL.
    var projectRoot: URL {
        URL(fileURLWithPath: project ?? FileManager.default.currentDirectoryPath, isDirectory: true).standardizedFileURL
    }

    /// The project's store folder, `Artifacts/`.
    var storeRoot: URL { projectRoot.appendingPathComponent("Artifacts", isDirectory: true) }

    /// Takes the store's exclusive lock for `command`; when `wait` is false and another process
    /// holds it, prints who does and exits 1.
    func lockStore(command: String, wait: Bool, console: Console) throws -> StoreLock {
        do {
            return try StoreLock(store: storeRoot, command: command, wait: wait) { holder in
                console.err("waiting for the store lock held by \(holder.map(\.description) ?? "another process")")
            }
        } catch let error as StoreError {
            console.err("error: \(error)")
            throw ExitCode(1)
        }
    }

    /// The built-in stages and the project's external plugins (`Plugins/*/plugin.yaml`); prints
    /// a malformed manifest's diagnostics and exits 1.
    func registry(console: Console) throws -> StageRegistry {
        do {
            return try ProjectPlugins.registry(projectRoot: projectRoot)
        } catch let error as DiagnosticsError {
            console.printDiagnostics(error.diagnostics)
            throw ExitCode(1)
        }
    }

    /// The parsed overrides.
    func parsedOverrides() throws -> [Override] {
        try overrides.enumerated().map { try Override(parsing: $1, index: $0 + 1) }
    }
}

/// A workflow loaded and validated, with the project and store it belongs to.
struct WorkflowSession {
    let workflowURL: URL
    let displayPath: String
    let projectRoot: URL
    var graph: StageGraph
    let registry: StageRegistry

    /// The lock file beside the workflow.
    var lockURL: URL { WorkflowLock.url(forWorkflowAt: workflowURL) }

    /// Loads and validates `path`; prints every diagnostic and exits 1 when there are any.
    static func open(_ path: String, options: ProjectOptions, console: Console) throws -> WorkflowSession {
        let root = options.projectRoot
        let url = url(of: path)
        let registry = try options.registry(console: console)
        do {
            // Composed trees of long workflows are kept in the store, when there is one.
            let artifacts = root.appendingPathComponent("Artifacts", isDirectory: true)
            let cache = FileSystem.isDirectory(artifacts.path)
                ? YAMLTreeCache(directory: artifacts.appendingPathComponent("yaml", isDirectory: true)) : nil
            let graph = try WorkflowValidator(registry: registry, projectRoot: root)
                .open(url, displayPath: path, overrides: try options.parsedOverrides(),
                      loader: WorkflowLoader(composer: YAMLComposer(cache: cache)))
            for warning in graph.warnings { console.err(warning.rendered(color: console.stderrIsTerminal)) }
            return WorkflowSession(workflowURL: url, displayPath: path, projectRoot: root, graph: graph, registry: registry)
        } catch let error as DiagnosticsError {
            console.printDiagnostics(error.diagnostics)
            throw ExitCode(1)
        }
    }

    /// The workflow file `path` names, resolved against the current folder.
    static func url(of path: String) -> URL {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
            .standardizedFileURL
    }

    /// Expands directories to the `.yaml` workflows directly inside them, sorted.
    static func workflowPaths(_ arguments: [String]) throws -> [String] {
        var paths: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: argument)
                    .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                let base = argument.hasSuffix("/") ? argument : argument + "/"
                paths += names.map { base + $0 }
            } else {
                paths.append(argument)
            }
        }
        return paths
    }

    /// The stage named `name`; prints an error with the nearest name and exits 1 when there is none.
    func stage(named name: String, console: Console) throws -> ResolvedStage {
        guard let stage = graph.stage(name) else {
            console.err("error: workflow '\(graph.workflowName)' has no stage '\(name)'"
                        + NameSuggestion.didYouMean(name, in: graph.stages.map(\.name)))
            throw ExitCode(1)
        }
        return stage
    }

    /// What a run would do now, explained against the lock file (read-only: takes no lock).
    func plan(store: ArtifactStore) throws -> Plan {
        Planner.plan(graph, environment: StorePlanEnvironment(store: store, projectRoot: projectRoot),
                     previous: try WorkflowLock.read(from: lockURL))
    }

    /// Opens the store of the project.
    func openStore() throws -> ArtifactStore {
        try ArtifactStore(root: projectRoot.appendingPathComponent("Artifacts", isDirectory: true))
    }
}

/// A plan environment backed by the store and the project's files.
struct StorePlanEnvironment: PlanEnvironment {
    let store: ArtifactStore
    let projectRoot: URL

    func fileDigest(_ relativePath: String) throws -> Digest? {
        try store.inputDigest(ofPath: projectRoot.appendingPathComponent(relativePath).path)
    }

    func cachedOutputs(for key: Digest) -> [String: OutputRecord]? {
        guard let action = store.action(for: key) else { return nil }
        for output in action.outputs.values {
            // Read-only: planning holds no lock, so it reports a corrupt blob as missing but leaves it.
            guard case .present = store.check(output.digest, removeCorrupt: false) else { return nil }
        }
        return action.outputs
    }
}
