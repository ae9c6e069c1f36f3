import Foundation
import PaperflowCore
import PaperflowStages

/// `Artifacts/<workflow>/report.html`: one self-contained page per run — the title and citation,
/// the stage graph, every table and figure the run produced, and each stage's provenance
/// (plugin@version, parameters, input digests, outputs, time). Built only from the workflow's
/// graph, the run record and the store, so `paperflow report` rebuilds the same page later.
struct RunReport {
    let graph: StageGraph
    let record: RunRecord
    let store: ArtifactStore
    /// The experiment the run was, whose page goes to its own folder.
    var experiment: String? = nil
    /// For an experiment: how it differs from the committed lock (`paperflow diff`'s HTML).
    var comparison: String? = nil

    /// Where the page goes.
    static func url(store: ArtifactStore, workflow: String, experiment: String? = nil) -> URL {
        url(storeRoot: store.root, workflow: workflow, experiment: experiment)
    }

    /// The page's file under the store folder `storeRoot` (no store opened: the no-op replay).
    static func url(storeRoot: URL, workflow: String, experiment: String? = nil) -> URL {
        var folder = storeRoot.appendingPathComponent(workflow, isDirectory: true)
        if let experiment { folder = folder.appendingPathComponent("experiments", isDirectory: true).appendingPathComponent(experiment, isDirectory: true) }
        return folder.appendingPathComponent("report.html")
    }

    /// Writes the page atomically (a reader never sees half of it).
    @discardableResult
    func write() throws -> URL {
        let url = Self.url(store: store, workflow: graph.workflowName, experiment: experiment)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(html.utf8).write(to: url, options: .atomic)
        return url
    }

    static func time(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    /// "Authors (year). Title. Journal. doi" from the workflow's `paper:` map.
    var citation: String? {
        guard let paper = graph.paper?.mapValue else { return graph.paper?.stringValue.map(Markup.escape) }
        var parts: [String] = []
        let authors = paper["authors"]?.listValue?.compactMap(\.stringValue) ?? paper["authors"]?.stringValue.map { [$0] } ?? []
        if !authors.isEmpty { parts.append(Markup.escape(authors.joined(separator: ", ")) + (paper["year"].map { " (\($0.description))" } ?? "")) }
        for field in ["title", "journal"] { if let value = paper[field]?.stringValue { parts.append(Markup.escape(value)) } }
        if let doi = paper["doi"]?.description {
            let escaped = Markup.escape(doi)
            parts.append("doi: <a href=\"https://doi.org/\(escaped)\">\(escaped)</a>")
        }
        return parts.isEmpty ? nil : parts.joined(separator: ". ")
    }

    var html: String {
        let title = graph.title ?? graph.workflowName
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Markup.escape(title)) — Paperflow report</title>
            <style>
            body { font-family: "Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
            h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2.2rem; }
            .citation, .run { color: #555; } figure { margin: 1.2rem 0; } figure img { max-width: 100%; border: 1px solid #eee; } .dag-scroll { overflow: auto; max-height: 80vh; } .dag-scroll img { max-width: none; border: none; }
            figcaption { color: #555; font-size: 0.9rem; } table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
            th, td { padding: 0.2rem 0.6rem; text-align: right; } th:first-child, td:first-child { text-align: left; }
            thead th { border-top: 2px solid #222; border-bottom: 1px solid #222; } tbody tr:last-child td, tbody tr:last-child th { border-bottom: 2px solid #222; }
            tr.rule th, tr.rule td { border-top: 1px solid #222; } tr.se td { color: #555; } tfoot td { text-align: left; color: #555; font-size: 0.85rem; }
            table.provenance td, table.provenance th { text-align: left; vertical-align: top; border-bottom: 1px solid #eee; }
            .synthetic { background: #fff4e5; border: 1px solid #e6a23c; padding: 0.6rem 0.9rem; margin: 1rem 0; }
            code { font-size: 0.8rem; word-break: break-all; } .status-failed { color: #b00020; } .status-ran { color: #0b5394; }
            </style>
            </head>
            <body>
            <h1>\(Markup.escape(title))</h1>

            """
        if let citation { page += "<p class=\"citation\">\(citation)</p>\n" }
        if let banner = syntheticBanner { page += banner }
        let footer = record.footer
        let order = ["ran", "cached", "failed", "skipped", "cancelled"]
        let counts = footer?.counts.sorted { (order.firstIndex(of: $0.key) ?? order.count, $0.key) < (order.firstIndex(of: $1.key) ?? order.count, $1.key) }
            .map { "\($0.value) \($0.key)" }.joined(separator: ", ") ?? "unfinished"
        page += "<p class=\"run\">Workflow <code>\(Markup.escape(graph.file))</code> · run <code>\(Markup.escape(record.header.runID))</code> on \(Markup.escape(record.header.host)), started \(Self.time(record.header.started)) · \(Markup.escape(counts))"
        if !record.header.overrides.isEmpty { page += " · --set " + record.header.overrides.map { "<code>\(Markup.escape($0))</code>" }.joined(separator: " ") }
        page += "</p>\n"
        let outcomes = Dictionary(record.stages.map { ($0.stage, $0.status) }, uniquingKeysWith: { $1 })
        page += "<h2>Stages</h2>\n<figure class=\"dag\"><div class=\"dag-scroll\"><img alt=\"stage graph of \(Markup.escape(graph.workflowName))\" src=\"\(Self.dataURI(DagDrawing.svg(graph, outcomes: outcomes)))\"></div><figcaption>Stages left to right in the order they can run, at full size (scroll to see it all). Blue: ran in this run; grey: taken from the cache; red: failed.</figcaption></figure>\n"
        var tables = "", figures = ""
        for stage in graph.stages {
            guard let outputs = record.stages.last(where: { $0.stage == stage.name })?.outputs else { continue }
            for port in outputs.keys.sorted() {
                let output = outputs[port]!
                guard output.fileName.hasSuffix(".html") || output.fileName.hasSuffix(".svg") else { continue }
                guard let data = try? Data(contentsOf: store.blobURL(output.digest)) else {
                    let note = "<p>\(Markup.escape(stage.name)): \(Markup.escape(output.fileName)) is no longer in the store; rerun to restore it.</p>\n"
                    if output.fileName.hasSuffix(".svg") { figures += note } else { tables += note }
                    continue
                }
                if output.fileName.hasSuffix(".svg") {
                    figures += "<figure class=\"figure\" id=\"figure-\(Markup.escape(stage.name))\"><img alt=\"\(Markup.escape(stage.name))\" src=\"\(Self.dataURI(String(decoding: data, as: UTF8.self)))\"><figcaption>\(Markup.escape(stage.name)) (\(Markup.escape(stage.pluginReference)))</figcaption></figure>\n"
                } else {
                    tables += "<section class=\"table\" id=\"table-\(Markup.escape(stage.name))\"><h3>\(Markup.escape(stage.name)) <small>(\(Markup.escape(stage.pluginReference)))</small></h3>\n\(String(decoding: data, as: UTF8.self))</section>\n"
                }
            }
        }
        if !tables.isEmpty { page += "<h2>Tables</h2>\n" + tables }
        if !figures.isEmpty { page += "<h2>Figures</h2>\n" + figures }
        page += "<h2>Provenance</h2>\n<table class=\"provenance\">\n<thead><tr><th>Stage</th><th>Plugin</th><th>Status</th><th>Parameters</th><th>Inputs</th><th>Outputs</th><th>Time</th></tr></thead>\n<tbody>\n"
        var earlierRuns: [String: RunRecord?] = [:]
        for entry in record.stages {
            let (ingredients, started, seconds, origin) = provenance(of: entry, runs: &earlierRuns)
            let parameters = ingredients.map { String(decoding: JSONText.compact(.map($0.params)), as: UTF8.self) } ?? ""
            let inputs = ingredients?.inputs.sorted { $0.key < $1.key }.map { port, digests in
                "\(Markup.escape(port)): " + digests.map { "<code>\(Markup.escape($0.description))</code>" }.joined(separator: ", ")
            }.joined(separator: "<br>") ?? ""
            let files = ingredients?.files.sorted { $0.key < $1.key }.map { "\(Markup.escape($0.key)): <code>\(Markup.escape($0.value.description))</code>" } ?? []
            let outputs = (entry.outputs ?? [:]).sorted { $0.key < $1.key }.map { port, output in
                "\(Markup.escape(output.fileName)) <code>\(Markup.escape(output.digest.description))</code> (\(output.size) bytes)"
            }.joined(separator: "<br>")
            let jobs = entry.slurm.map(Self.describe) ?? []
            let time = ([started.map(Self.time), seconds.map { String(format: "%.3f s", $0) }].compactMap { $0 } + jobs).joined(separator: "<br>")
            let source = origin.map { "<br>computed in run <code>\(Markup.escape($0))</code>" } ?? ""
            page += "<tr><td>\(Markup.escape(entry.stage))</td><td>\(Markup.escape(ingredients.map { "\($0.plugin)@\($0.version)" } ?? ""))</td>"
                + "<td class=\"status-\(entry.status.rawValue)\">\(entry.status.rawValue)\(source)\(entry.message.map { "<br>\(Markup.escape($0))" } ?? "")</td>"
                + "<td><code>\(Markup.escape(parameters))</code></td><td>\(([inputs] + files).filter { !$0.isEmpty }.joined(separator: "<br>"))</td><td>\(outputs)</td><td>\(time)</td></tr>\n"
        }
        page += "</tbody>\n</table>\n"
        if let comparison { page += comparison }
        page += "<p class=\"run\">Written by Paperflow from the run record and the artifact store.</p>\n</body>\n</html>\n"
        return page
    }

    /// A submitted stage's Slurm jobs, one line per attempt: `Slurm job 12 on node1: COMPLETED, 0:03`,
    /// then the stage process's peak memory.
    static func describe(_ jobs: SlurmJobs) -> [String] {
        var lines = jobs.attempts.map { attempt in
            "Slurm job <code>\(Markup.escape(attempt.job))</code>" + (attempt.node.map { " on \(Markup.escape($0))" } ?? "")
                + ": \(Markup.escape(attempt.state))" + (attempt.elapsed.map { ", \(Markup.escape($0))" } ?? "")
                + (attempt.memoryMegabytes.map { ", mem \($0)M" } ?? "")
        }
        if let rss = jobs.maxRSS { lines.append(String(format: "MaxRSS %.1f MiB", Double(rss) / 1_048_576)) }
        return lines
    }

    /// What a stage line says of its stage, or for a cached stage what the run that computed it
    /// said (found through the action record), so a rerun's page shows the same provenance as
    /// the first run's: ingredients, start and duration; and the id of that run.
    func provenance(of entry: StageRecord, runs: inout [String: RunRecord?]) -> (KeyIngredients?, Double?, Double?, String?) {
        guard entry.status == .cached, entry.ingredients == nil, let key = entry.key else {
            return (entry.ingredients, entry.started, entry.seconds, nil)
        }
        guard let action = store.action(for: key) else { return (nil, nil, nil, nil) }
        if runs[action.runID] == nil {
            runs[action.runID] = .some(try? RunRecord(contentsOf: store.runsDirectory.appendingPathComponent("\(action.runID).jsonl")))
        }
        let line = runs[action.runID].flatMap { $0 }?.stages.last { $0.key == key && $0.status == .ran }
        return (line?.ingredients, line?.started, line?.seconds ?? action.seconds, action.runID)
    }

    /// A banner over a page whose numbers come from a generator (a `synthetic.*` stage with no
    /// real file in its `source`): the page carries the paper's title, authors and DOI, and must
    /// not be taken for the paper's results.
    var syntheticBanner: String? {
        let generators = graph.stages.filter { $0.pluginID.hasPrefix("synthetic.") && ($0.params["source"]?.stringValue ?? "").isEmpty }
        guard !generators.isEmpty else { return nil }
        let names = generators.map { "<code>\(Markup.escape($0.name))</code> (\(Markup.escape($0.pluginReference)))" }.joined(separator: ", ")
        return "<div class=\"synthetic\" role=\"note\"><strong>Generated data.</strong> The numbers on this page come from "
            + "generated data with the paper's planted structure — not the paper's data. Generated by \(names). "
            + "With the real data, name its file in the generator's <code>source</code> parameter "
            + "(<code>--set params.source=PATH</code> in the shipped workflows; the workflow's header says which columns).</div>\n"
    }

    static func dataURI(_ svg: String) -> String {
        "data:image/svg+xml;base64," + Data(svg.utf8).base64EncodedString()
    }
}
