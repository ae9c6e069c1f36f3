import ArgumentParser
import Foundation
import PaperflowCore

/// One workflow as a replication package describes it: its stages as written (with their `data:`
/// and `label:` blocks), its lock, and the store's records of the runs that made each output.
/// Everything `package`, `package --check` and `export crate` say comes from here. What costs
/// reading the store's run records, or launching R, is computed once, on first use.
final class PublishedWorkflow {
    let session: WorkflowSession
    /// The workflow as written: stage specs with their metadata and parameter locations.
    let workflow: Workflow
    /// The committed lock (`nil` when the workflow has not run).
    let lock: WorkflowLock?
    let store: ArtifactStore

    init(session: WorkflowSession, workflow: Workflow, lock: WorkflowLock?, store: ArtifactStore) {
        self.session = session
        self.workflow = workflow
        self.lock = lock
        self.store = store
    }

    var graph: StageGraph { session.graph }
    var name: String { graph.workflowName }
    /// The workflow file, project-relative.
    var relativePath: String { Self.relative(session.workflowURL, to: session.projectRoot) }

    /// Opens `path` in the project of `options`; prints diagnostics and exits 1 when invalid.
    static func open(_ path: String, options: ProjectOptions, console: Console) throws -> PublishedWorkflow {
        let session = try WorkflowSession.open(path, options: options, console: console)
        let workflow = try WorkflowLoader().load(contentsOf: session.workflowURL, displayPath: path)
        let lock: WorkflowLock?
        do {
            lock = try WorkflowLock.read(from: session.lockURL)
        } catch {
            console.err("error: \(error)")
            throw ExitCode.failure
        }
        return PublishedWorkflow(session: session, workflow: workflow, lock: lock, store: try session.openStore())
    }

    /// The workflows of a replication package: every `.yaml` under its `Workflows/` (at any
    /// depth) with a lock file beside it, as paths to open.
    static func packagedWorkflows(in root: URL) throws -> [String] {
        let folder = root.appendingPathComponent("Workflows", isDirectory: true)
        guard FileSystem.isDirectory(folder.path) else { return [] }
        return try Manifest.files(under: folder).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .map { folder.appendingPathComponent($0) }
            .filter { FileSystem.exists(WorkflowLock.url(forWorkflowAt: $0).path) }
            .map(\.path)
    }

    func spec(_ stage: String) -> StageSpec? { workflow.stages.first { $0.name == stage } }

    static func relative(_ url: URL, to root: URL) -> String {
        let path = url.standardizedFileURL.path, base = root.standardizedFileURL.path
        return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
    }

    // MARK: Exhibits

    /// A labelled output: what the paper calls it and where it is.
    struct Exhibit {
        var label: String
        var stage: String
        var port: String
        var output: OutputRecord
        /// Where the package puts it.
        var packagePath: String
        /// Whether it is made from confidential data or a synthetic stand-in (the real data's
        /// table differs from the package's).
        var needsRealData: Bool
        /// Made by a confidential stage (`confidential: true`, or downstream of one without
        /// `confidential: false`): it never leaves this machine, so the package lists it but
        /// does not hold it.
        var withheld: Bool
    }

    /// Every labelled output, in stage order; a stage whose lock entry is missing has none.
    private(set) lazy var exhibits: [Exhibit] = {
        let standIns = Set(graph.stages.indices.filter { isStandIn(graph.stages[$0].name) })
        return graph.stages.enumerated().flatMap { index, stage -> [Exhibit] in
            guard let label = spec(stage.name)?.label, let entry = lock?.stages[stage.name] else { return [] }
            let needsReal = !graph.ancestors(of: index).isDisjoint(with: standIns)
            return stage.outputs.compactMap { output in
                guard let text = label.label(of: output.port), let record = entry.outputs[output.port] else { return nil }
                return Exhibit(label: text, stage: stage.name, port: output.port, output: record,
                               packagePath: "outputs/\(name)/\(ArtifactStore.safeFileName(stage.name))/\(record.fileName)",
                               needsRealData: needsReal, withheld: stage.confidential)
            }
        }
    }()

    /// Whether a stage's data are a stand-in for data the package cannot hold: a generator that
    /// replaces real data, or a stage whose data are not provided.
    func isStandIn(_ stage: String) -> Bool {
        guard let data = spec(stage)?.data else { return graph.stage(stage)?.confidential == true && isDataStage(stage) }
        return data.replaces != nil || !data.isProvided
    }

    /// Stages whose tables and figures a paper publishes: every `tables.*` and `figures.*` stage
    /// but a table that only feeds figures (a figure's data are part of the figure).
    var exhibitStages: [ResolvedStage] {
        graph.stages.enumerated().filter { index, stage in
            let readers = graph.dependents[index].map { graph.stages[$0].pluginID }
            return stage.pluginID.hasPrefix("figures.")
                || stage.pluginID.hasPrefix("tables.") && (readers.isEmpty || !readers.allSatisfy { $0.hasPrefix("figures.") })
        }.map(\.element)
    }

    /// Files the workflow keeps equal to an output (`io.export`'s targets), with the output's record.
    var exportedFiles: [(path: String, stage: String, output: OutputRecord)] {
        graph.stages.flatMap { stage in
            stage.materializations.compactMap { materialization in
                lock?.stages[stage.name]?.outputs[materialization.output].map { (materialization.path, stage.name, $0) }
            }
        }
    }

    // MARK: Data

    /// A file a stage reads, as the dataset list shows it.
    struct DataFile {
        var path: String
        var digest: Digest?
        var size: Int64?
        var stage: String
        /// The package includes it.
        var provided: Bool
        var format: String { Self.format(of: path) }

        static func format(of path: String) -> String {
            switch (path as NSString).pathExtension.lowercased() {
            case "csv": "CSV"
            case "tsv", "tab": "tab-separated text"
            case "dta": "Stata .dta"
            case "xlsx": "Excel .xlsx"
            case "parquet": "Parquet"
            case "geojson": "GeoJSON"
            case "json": "JSON"
            case "": "folder"
            case let other: other
            }
        }
    }

    /// Whether `path` is code a stage runs (a script), not data it reads.
    static func isCode(_ path: String) -> Bool {
        ["sh", "py", "r", "do", "jl", "m", "sql"].contains((path as NSString).pathExtension.lowercased())
    }

    /// Whether a stage brings data into the workflow: it reads project data files or generates data.
    func isDataStage(_ stage: String) -> Bool {
        guard let resolved = graph.stage(stage) else { return false }
        return resolved.pluginID.hasPrefix("synthetic.") || resolved.fileDependencies.contains { !Self.isCode($0) }
    }

    /// The data files every stage reads, with their lock digests; confidential ones marked.
    private(set) lazy var dataFiles: [DataFile] = graph.stages.flatMap { stage -> [DataFile] in
            let data = spec(stage.name)?.data
            // Without a statement a project file is shipped (`--check` asks for one); with one, as it
            // says; confidential data never.
            let provided = !stage.confidential && (data.map { $0.isProvided && $0.access != .confidential } ?? true)
            return stage.fileDependencies.filter { !Self.isCode($0) }.map { path in
                let size = FileSystem.identity(ofFileAt: session.projectRoot.appendingPathComponent(path).path)?.size
                return DataFile(path: path, digest: lock?.stages[stage.name]?.ingredients.files[path], size: size,
                                stage: stage.name, provided: provided)
            }
        }

    /// Scripts the workflow's stages run.
    var codeFiles: [String] {
        Array(Set(graph.stages.flatMap { $0.fileDependencies.filter(Self.isCode) })).sorted()
    }

    /// Stages with a data block or data of their own, in stage order.
    var dataStages: [(stage: ResolvedStage, data: DataStatement?)] {
        graph.stages.filter { isDataStage($0.name) || spec($0.name)?.data != nil }.map { ($0, spec($0.name)?.data) }
    }

    // MARK: Seeds

    /// A parameter that seeds a random number generator.
    struct Seed {
        var stage: String
        var parameter: String
        var value: String
        /// Where the value was written, or nil when it is the plugin's default.
        var location: SourceLocation?
        /// The workflow parameter it came from (`${params.seed}`), with its location.
        var workflowParameter: ParameterEntry?
    }

    /// A parameter value as a reader wants it: text as is, anything else as JSON.
    static func plainText(_ value: ParamValue) -> String {
        if case let .string(text) = value { return text }
        return String(decoding: JSONText.compact(value), as: UTF8.self)
    }

    static func isSeedParameter(_ name: String) -> Bool {
        name == "seed" || name.hasSuffix("_seed") || name == "seeds"
    }

    /// Every seed parameter of every stage, as the run used it.
    var seeds: [Seed] {
        graph.stages.flatMap { stage -> [Seed] in
            stage.params.keys.sorted().filter(Self.isSeedParameter).map { parameter in
                let entry = spec(stage.name)?.parameters.first { $0.name == parameter }
                let value = stage.params[parameter].map(Self.plainText) ?? ""
                var seed = Seed(stage: stage.name, parameter: parameter, value: value, location: entry?.valueLocation)
                if let location = entry?.valueLocation, let referenced = Self.parameterReference(at: location, in: session.workflowURL) {
                    seed.workflowParameter = workflow.params.first { $0.name == referenced }
                }
                return seed
            }
        }
    }

    /// The `${params.NAME}` written at `location` of the file, if any.
    static func parameterReference(at location: SourceLocation, in file: URL) -> String? {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard location.line >= 1, location.line <= lines.count else { return nil }
        let line = lines[location.line - 1].dropFirst(max(0, location.column - 1))
        guard let start = line.range(of: "${params.") else { return nil }
        let name = line[start.upperBound...].prefix { $0 != "}" && $0 != ":" }
        return name.isEmpty ? nil : String(name)
    }

    // MARK: Runs

    /// How long the workflow takes and where it ran, from the store's records.
    struct Runtime {
        /// Sum of every stage's time in the run that made its outputs (one core, no caching).
        var stageSeconds: Double
        /// Stages whose producing run the store no longer records.
        var unrecordedStages: Int
        /// The latest run that executed every stage: its wall time and header.
        var fullRun: (seconds: Double, header: RunHeader)?
        /// The machine of the runs that made the outputs (the latest that recorded one).
        var machine: MachineDescription?
        /// The run ids that made the outputs.
        var producingRuns: Set<String>
    }

    /// The store's run records of this workflow, oldest first.
    private(set) lazy var runRecords: [RunRecord] = store.runRecordURLs().compactMap { try? RunRecord(contentsOf: $0) }
        .filter { $0.header.workflow == name }.sorted { $0.header.started < $1.header.started }

    /// The run record with id `runID`, if the store still has it — of this workflow or, for a
    /// stage whose key another workflow's run computed, of that one.
    func runRecord(_ runID: String) -> RunRecord? {
        runRecords.last { $0.header.runID == runID }
            ?? (try? RunRecord(contentsOf: store.runsDirectory.appendingPathComponent("\(runID).jsonl")))
    }

    private(set) lazy var runtime: Runtime = {
        var seconds = 0.0, unrecorded = 0
        var producing: Set<String> = []
        for (_, entry) in lock?.stages ?? [:] {
            guard let action = store.action(for: entry.key) else { unrecorded += 1; continue }
            seconds += action.seconds
            producing.insert(action.runID)
        }
        var full: (Double, RunHeader)?
        var machine: (Double, MachineDescription)?
        for record in runRecords {
            if producing.contains(record.header.runID), let described = record.header.machine,
               machine.map({ $0.0 < record.header.started }) ?? true {
                machine = (record.header.started, described)
            }
            guard let footer = record.footer, footer.succeeded, footer.counts["cached", default: 0] == 0,
                  footer.counts["ran", default: 0] == graph.stages.count, record.header.experiment == nil else { continue }
            if full.map({ $0.1.started < record.header.started }) ?? true { full = (footer.finished - record.header.started, record.header) }
        }
        return Runtime(stageSeconds: seconds, unrecordedStages: unrecorded, fullRun: full.map { (seconds: $0.0, header: $0.1) },
                       machine: machine?.1, producingRuns: producing)
    }()

    // MARK: Plugins

    /// An external plugin a stage uses, with the environment it ran in.
    struct PluginEnvironment {
        var id: String
        var folder: String
        var digest: Digest
        /// `requirements.txt` as written, Python packages of its venv, R's sessionInfo().
        var details: [(title: String, text: String)]
    }

    private(set) lazy var externalPlugins: [PluginEnvironment] = {
        let root = session.projectRoot
        guard let plugins = try? ExternalPlugin.discover(in: root.appendingPathComponent("Plugins", isDirectory: true)) else { return [] }
        let used = Set(graph.stages.map(\.pluginID))
        return plugins.filter { used.contains($0.manifest.id) }.sorted { $0.manifest.id < $1.manifest.id }.map { plugin in
            var details: [(String, String)] = []
            let requirements = plugin.folder.appendingPathComponent("requirements.txt")
            if let text = try? String(contentsOf: requirements, encoding: .utf8) {
                details.append(("requirements.txt", text.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            let venv = store.root.appendingPathComponent("plugins/\(plugin.folder.lastPathComponent)/venv/lib")
            let installed = Self.pythonPackages(under: venv)
            if !installed.isEmpty { details.append(("Python packages of its venv", installed.joined(separator: "\n"))) }
            let files = (try? FileManager.default.contentsOfDirectory(atPath: plugin.folder.path)) ?? []
            if files.contains(where: { $0.hasSuffix(".R") }), let session = Self.rSessionInfo() {
                details.append(("R sessionInfo()", session))
            }
            return PluginEnvironment(id: "\(plugin.manifest.id)@\(plugin.manifest.version)",
                                     folder: Self.relative(plugin.folder, to: root), digest: plugin.digest, details: details)
        }
    }()

    /// `name==version` of every distribution installed under a venv's `lib/`.
    static func pythonPackages(under lib: URL) -> [String] {
        let fm = FileManager.default
        guard let pythons = try? fm.contentsOfDirectory(atPath: lib.path) else { return [] }
        var packages: [String] = []
        for python in pythons {
            let site = lib.appendingPathComponent(python).appendingPathComponent("site-packages")
            for entry in (try? fm.contentsOfDirectory(atPath: site.path)) ?? [] where entry.hasSuffix(".dist-info") {
                let stem = entry.dropLast(".dist-info".count)
                guard let dash = stem.lastIndex(of: "-") else { continue }
                packages.append("\(stem[..<dash])==\(stem[stem.index(after: dash)...])")
            }
        }
        return packages.sorted { $0.lowercased() < $1.lowercased() }
    }

    /// The executable `name` in a folder of PATH, if there is one.
    static func executableOnPath(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// R's `sessionInfo()` from the Rscript on PATH, if there is one.
    static func rSessionInfo() -> String? {
        guard let rscript = executableOnPath("Rscript") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: rscript)
        process.arguments = ["--vanilla", "-e", "sessionInfo()"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
