import Foundation
import PaperflowCore

/// A Workflow Run RO-Crate of runs — Process, Workflow and Provenance Run Crate 0.5 on RO-Crate
/// 1.1, the profile family Nextflow's nf-prov writes: the workflow file as the crate's
/// `mainEntity` (a ComputationalWorkflow and HowTo), every stage a HowToStep with its tool (a
/// SoftwareApplication named `id@version`, identified by the stage's implementation
/// fingerprint), the tool's parameters and ports as FormalParameters, and per run an
/// OrganizeAction (Paperflow) whose ControlActions point at each stage's CreateAction. A stage
/// the run took from the cache points at the CreateAction of the run that executed it.
/// Parameters are PropertyValues; artifacts are Files with `sha256`, `contentSize` and
/// `encodingFormat` — with their path as `@id` when the crate holds them, else a local `#` id.
struct RunCrate {
    static let metadataFileName = "ro-crate-metadata.json"
    static let profiles = [
        ("https://w3id.org/ro/wfrun/process/0.5", "Process Run Crate", "0.5"),
        ("https://w3id.org/ro/wfrun/workflow/0.5", "Workflow Run Crate", "0.5"),
        ("https://w3id.org/ro/wfrun/provenance/0.5", "Provenance Run Crate", "0.5"),
        ("https://w3id.org/workflowhub/workflow-ro-crate/1.0", "Workflow RO-Crate", "1.0"),
    ]

    let workflows: [PublishedWorkflow]
    let build: BuildIdentity
    /// The crate's root folder: an artifact or file is referenced by its path when it is there.
    let root: URL
    /// The run to describe per workflow (by id); the latest complete run when absent.
    var runIDs: [String: String] = [:]

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Entities by `@id`, in the order first added.
    private final class Graph {
        var order: [String] = []
        var entities: [String: [String: ParamValue]] = [:]

        func add(_ id: String, _ fields: [String: ParamValue]) {
            if entities[id] == nil { order.append(id); entities[id] = ["@id": .string(id)] }
            entities[id]!.merge(fields) { _, new in new }
        }

        func append(_ id: String, _ field: String, _ reference: String) {
            var list = entities[id]?[field]?.listValue ?? []
            let item = RunCrate.ref(reference)
            if !list.contains(item) { list.append(item) }
            entities[id]![field] = .list(list)
        }
    }

    static func ref(_ id: String) -> ParamValue { .map(["@id": .string(id)]) }
    static func refs(_ ids: [String]) -> ParamValue { .list(ids.map(ref)) }

    static func isoDate(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    static func mediaType(_ fileName: String) -> String {
        switch (fileName as NSString).pathExtension.lowercased() {
        case "csv": "text/csv"
        case "json": "application/json"
        case "geojson": "application/geo+json"
        case "md": "text/markdown"
        case "tex": "application/x-tex"
        case "html": "text/html"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "pdf": "application/pdf"
        case "txt", "log": "text/plain"
        case "yaml", "yml": "application/yaml"
        case "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case "dta": "application/x-stata-dta"
        case "parquet": "application/vnd.apache.parquet"
        case "pftable": "application/vnd.paperflow.table"
        default: "application/octet-stream"
        }
    }

    /// The run a workflow's crate describes.
    func run(of published: PublishedWorkflow) throws -> RunRecord {
        let records = published.runRecords
        if let wanted = runIDs[published.name] {
            guard let record = records.first(where: { $0.header.runID == wanted }) else {
                throw Failure(description: "the store has no run '\(wanted)' of \(published.name): 'paperflow status' lists the runs")
            }
            return record
        }
        let complete = records.filter { record in
            record.footer?.succeeded == true && record.header.experiment == nil
                && Set(record.stages.filter { $0.status == .ran || $0.status == .cached }.map(\.stage)) == Set(published.graph.stages.map(\.name))
        }
        guard let latest = complete.max(by: { $0.header.started < $1.header.started }) else {
            throw Failure(description: "the store has no complete run of \(published.name): run 'paperflow run \(published.relativePath)' first")
        }
        return latest
    }

    /// The crate's `ro-crate-metadata.json`.
    func metadata() throws -> String {
        let graph = Graph()
        let now = Date().timeIntervalSince1970
        graph.add(Self.metadataFileName, [
            "@type": .string("CreativeWork"), "about": Self.ref("./"),
            "conformsTo": Self.refs(["https://w3id.org/ro/crate/1.1", "https://w3id.org/workflowhub/workflow-ro-crate/1.0"]),
        ])
        let first = workflows.first
        graph.add("./", [
            "@type": .string("Dataset"),
            "name": .string("Runs of " + workflows.map(\.name).joined(separator: ", ")),
            "description": .string(first.flatMap { PackageReadme.paperCitation($0.graph.paper) }.map { "Provenance of the Paperflow workflows that rerun " + $0 }
                                   ?? "Provenance of Paperflow workflow runs"),
            "datePublished": .string(Self.isoDate(now)),
            "license": Self.ref("#licences"),
            "conformsTo": Self.refs(Self.profiles.map(\.0)),
        ])
        graph.add("#licences", ["@type": .string("CreativeWork"), "name": .string("Licences of the data and code"),
                                "description": .string("Each data source's licence is stated in the workflows' data blocks and the replication package's README.md.")])
        for (id, name, version) in Self.profiles {
            graph.add(id, ["@type": .string("CreativeWork"), "name": .string(name), "version": .string(version)])
        }
        graph.add("#paperflow", ["@type": .string("SoftwareApplication"), "name": .string("Paperflow"), "softwareVersion": .string(build.version),
                                 "identifier": .string(build.fingerprint)])
        graph.add("#paperflow-workflow-language", [
            "@type": .string("ComputerLanguage"), "name": .string("Paperflow workflow (YAML)"), "alternateName": .string("Paperflow"),
            "version": .string(build.version),
        ])
        for (index, published) in workflows.enumerated() {
            let workflowID = try describe(published, in: graph)
            graph.append("./", "hasPart", workflowID)
            if index == 0 { graph.add("./", ["mainEntity": Self.ref(workflowID)]) }
        }
        // Every file the crate holds is a part of its root (RO-Crate 1.1: data entities are
        // referenced from the root data entity).
        for id in graph.order where !id.hasPrefix("#") && !id.contains("://") && id != "./" && id != Self.metadataFileName {
            graph.append("./", "hasPart", id)
        }
        let document: ParamValue = .map([
            "@context": .list([.string("https://w3id.org/ro/crate/1.1/context"), .string("https://w3id.org/ro/terms/workflow-run/context")]),
            "@graph": .list(graph.order.map { .map(graph.entities[$0]!) }),
        ])
        return String(decoding: JSONText.pretty(document), as: UTF8.self)
    }

    /// Adds a workflow, its stages and its run; returns the workflow entity's id.
    private func describe(_ published: PublishedWorkflow, in graph: Graph) throws -> String {
        let record = try run(of: published)
        let name = published.name
        let workflowID = present(published.relativePath) ? published.relativePath : "#\(name)/workflow"
        var workflowFields: [String: ParamValue] = [
            "@type": .list(["File", "SoftwareSourceCode", "ComputationalWorkflow", "HowTo"].map(ParamValue.string)),
            "name": .string(published.graph.title ?? name),
            "programmingLanguage": Self.ref("#paperflow-workflow-language"),
        ]
        if present(published.relativePath) {
            workflowFields["encodingFormat"] = .string("application/yaml")
            if let (digest, size) = try? ContentHasher.digest(ofFileAt: root.appendingPathComponent(published.relativePath).path) {
                workflowFields["sha256"] = .string(digest.hex)
                workflowFields["contentSize"] = .string(String(size))
            }
        }
        graph.add(workflowID, workflowFields)

        // The workflow's own parameters: its inputs.
        var runObjects: [String] = []
        for parameter in published.workflow.params {
            let formal = "#\(name)/param/\(parameter.name)", value = "#\(name)/value/\(parameter.name)"
            graph.add(formal, formalParameter(parameter.name, type: Self.additionalType(parameter.value), example: value))
            graph.add(value, ["@type": .string("PropertyValue"), "name": .string(parameter.name), "value": .string(PublishedWorkflow.plainText(parameter.value)),
                              "exampleOfWork": Self.ref(formal)])
            graph.append(workflowID, "input", formal)
            runObjects.append(value)
        }

        let stages = Dictionary(record.stages.map { ($0.stage, $0) }, uniquingKeysWith: { $1 })
        let exhibits = Set(published.exhibits.map { "\($0.stage).\($0.port)" })
        let lockEntries = published.lock?.stages ?? [:]
        var artifactIDs: [String: String] = [:]  // "stage.port" → entity id
        var controls: [String] = []
        var runResults: [String] = []
        let exhibitPaths = Dictionary(published.exhibits.map { ("\($0.stage).\($0.port)", $0.packagePath) }, uniquingKeysWith: { a, _ in a })

        for (position, stage) in published.graph.stages.enumerated() {
            guard let stageRecord = stages[stage.name], let outputs = stageRecord.outputs else { continue }
            let tool = "#\(name)/tool/\(stage.name)", step = "#\(name)/step/\(stage.name)"
            graph.add(tool, ["@type": .string("SoftwareApplication"), "name": .string("\(stage.name): \(stage.pluginReference)"),
                             "softwareVersion": .string(String(stage.pluginVersion)), "identifier": .string(stage.implementationDigest),
                             "alternateName": .string(stage.pluginID)])
            graph.append(workflowID, "hasPart", tool)
            graph.add(step, ["@type": .string("HowToStep"), "name": .string(stage.name), "position": .string(String(position)), "workExample": Self.ref(tool)])
            graph.append(workflowID, "step", step)

            // Which run executed it: this one, or (cached) the run the action cache names.
            var executedIn = record
            if stageRecord.status == .cached, let key = stageRecord.key, let action = published.store.action(for: key) {
                executedIn = published.runRecord(action.runID) ?? record
            }
            let executed = executedIn.stages.last { $0.stage == stage.name && $0.status == .ran }
            let actionID = "#\(name)/run/\(executedIn.header.runID)/\(stage.name)"
            var objects: [String] = []
            for key in stage.params.keys.sorted() {
                let formal = "#\(name)/\(stage.name)/param/\(key)", value = "#\(name)/\(stage.name)/value/\(key)"
                let parameter = stage.params[key]!
                graph.add(formal, formalParameter(key, type: Self.additionalType(parameter), example: value))
                graph.add(value, ["@type": .string("PropertyValue"), "name": .string(key), "value": .string(PublishedWorkflow.plainText(parameter)),
                                  "exampleOfWork": Self.ref(formal)])
                graph.append(tool, "input", formal)
                objects.append(value)
            }
            for path in stage.fileDependencies {
                let id = present(path) ? path : "#\(name)/file/\(path)"
                var fields: [String: ParamValue] = ["@type": .string("File"), "name": .string(path), "encodingFormat": .string(Self.mediaType(path))]
                if let digest = lockEntries[stage.name]?.ingredients.files[path] ?? stageRecord.ingredients?.files[path] { fields["sha256"] = .string(digest.hex) }
                if present(path), let size = FileSystem.identity(ofFileAt: root.appendingPathComponent(path).path)?.size { fields["contentSize"] = .string(String(size)) }
                graph.add(id, fields)
                objects.append(id)
                if !runObjects.contains(id) { runObjects.append(id) }
            }
            for (port, sources) in stage.inputs.sorted(by: { $0.key < $1.key }) {
                let formal = "#\(name)/\(stage.name)/in/\(port)"
                let examples = sources.compactMap { artifactIDs[$0.description] }
                graph.add(formal, formalParameter(port, type: "File", example: examples.first))
                graph.append(tool, "input", formal)
                objects += examples
            }
            var results: [String] = []
            for output in stage.outputs {
                guard let stored = outputs[output.port] else { continue }
                let formal = "#\(name)/\(stage.name)/out/\(output.port)"
                let reference = "\(stage.name).\(output.port)"
                let id = exhibitPaths[reference].flatMap { present($0) ? $0 : nil } ?? "#\(name)/artifact/\(stage.name)/\(output.port)"
                graph.add(id, ["@type": .string("File"), "name": .string(stored.fileName), "sha256": .string(stored.digest.hex),
                               "contentSize": .string(String(stored.size)), "encodingFormat": .string(Self.mediaType(stored.fileName)),
                               "exampleOfWork": Self.ref(formal)])
                graph.add(formal, formalParameter(output.port, type: "File", example: id))
                graph.append(tool, "output", formal)
                artifactIDs[reference] = id
                results.append(id)
                if exhibits.contains(reference) {
                    runResults.append(id)
                    graph.append(workflowID, "output", formal)
                }
            }
            var action: [String: ParamValue] = [
                "@type": .string("CreateAction"), "name": .string("Run of stage \(stage.name)"), "instrument": Self.ref(tool),
                "object": Self.refs(objects), "result": Self.refs(results),
                "actionStatus": Self.ref("http://schema.org/CompletedActionStatus"),
            ]
            if let started = executed?.started ?? stageRecord.started { action["startTime"] = .string(Self.isoDate(started)) }
            if let finished = executed?.finished ?? stageRecord.finished { action["endTime"] = .string(Self.isoDate(finished)) }
            if executedIn.header.runID != record.header.runID {
                action["description"] = .string("Executed in run \(executedIn.header.runID); run \(record.header.runID) reused its outputs from the cache (stage key \(stageRecord.key?.description ?? "?")).")
            } else if stageRecord.status == .cached {
                action["description"] = .string("Reused from the cache; the store no longer records the run that executed it.")
            }
            graph.add(actionID, action)
            let control = "#\(name)/run/\(record.header.runID)/control/\(stage.name)"
            graph.add(control, ["@type": .string("ControlAction"), "name": .string("Orchestrate stage \(stage.name)"),
                                "instrument": Self.ref(step), "object": Self.ref(actionID)])
            controls.append(control)
        }

        let runID = "#\(name)/run/\(record.header.runID)"
        var runFields: [String: ParamValue] = [
            "@type": .string("CreateAction"), "name": .string("Run \(record.header.runID) of \(name)"), "instrument": Self.ref(workflowID),
            "object": Self.refs(runObjects), "result": Self.refs(runResults), "startTime": .string(Self.isoDate(record.header.started)),
        ]
        if let footer = record.footer {
            runFields["endTime"] = .string(Self.isoDate(footer.finished))
            runFields["actionStatus"] = Self.ref(footer.succeeded ? "http://schema.org/CompletedActionStatus" : "http://schema.org/FailedActionStatus")
        }
        graph.add(runID, runFields)
        graph.append("./", "mentions", runID)
        graph.add("#\(name)/organize/\(record.header.runID)", [
            "@type": .string("OrganizeAction"), "name": .string("Paperflow run \(record.header.runID)"), "instrument": Self.ref("#paperflow"),
            "result": Self.ref(runID), "object": Self.refs(controls), "startTime": .string(Self.isoDate(record.header.started)),
        ])
        return workflowID
    }

    private func present(_ path: String) -> Bool {
        !path.hasPrefix("/") && FileSystem.exists(root.appendingPathComponent(path).path) && !FileSystem.isDirectory(root.appendingPathComponent(path).path)
    }

    private func formalParameter(_ name: String, type: String, example: String?) -> [String: ParamValue] {
        var fields: [String: ParamValue] = [
            "@type": .string("FormalParameter"), "name": .string(name), "additionalType": .string(type),
            "conformsTo": Self.ref("https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE"),
        ]
        if let example { fields["workExample"] = Self.ref(example) }
        return fields
    }

    static func additionalType(_ value: ParamValue) -> String {
        switch value {
        case .bool: "Boolean"
        case .int: "Integer"
        case .double: "Float"
        case .string: "Text"
        case .list: "Collection"
        case .map: "PropertyValue"
        case .null: "Text"
        }
    }
}
