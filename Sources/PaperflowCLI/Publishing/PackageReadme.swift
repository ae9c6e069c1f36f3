import Foundation
import PaperflowCore

/// The replication package's README, section by section as the Social Science Data Editors'
/// template README (v1.1) has them, filled from the locks, the run records and the workflows'
/// `data:` and `label:` blocks.
struct PackageReadme {
    let workflows: [PublishedWorkflow]
    let machine: MachineDescription
    let build: BuildIdentity
    /// Data files the package leaves out.
    let leftOut: [String]

    var document: PackageDocument {
        var doc = PackageDocument(title: "Replication package: " + (workflows.first?.graph.title ?? workflows.first?.name ?? "workflows"))
        overview(&doc)
        dataAvailability(&doc)
        datasetList(&doc)
        requirements(&doc)
        programs(&doc)
        instructions(&doc)
        exhibitMap(&doc)
        references(&doc)
        return doc
    }

    static func megabytes(_ bytes: Int64) -> String { String(format: "%.2f MB", Double(bytes) / 1e6) }
    static func seconds(_ value: Double) -> String { value < 100 ? String(format: "%.1f s", value) : String(format: "%.1f min", value / 60) }

    /// "Authors (year). Title. Journal volume, pages. doi:…" from a `paper:` map.
    static func paperCitation(_ paper: ParamValue?) -> String? {
        guard let map = paper?.mapValue else { return paper?.stringValue }
        let authors = map["authors"]?.listValue?.compactMap(\.stringValue) ?? map["authors"]?.stringValue.map { [$0] } ?? []
        var parts: [String] = []
        if !authors.isEmpty { parts.append(authors.joined(separator: ", ") + (map["year"].map { " (\(PublishedWorkflow.plainText($0)))" } ?? "")) }
        if let title = map["title"]?.stringValue { parts.append(title) }
        let journal = [map["journal"], map["volume"], map["pages"]].compactMap { $0.map(PublishedWorkflow.plainText) }.joined(separator: " ")
        if !journal.isEmpty { parts.append(journal) }
        if let doi = map["doi"] { parts.append("doi:" + PublishedWorkflow.plainText(doi)) }
        return parts.isEmpty ? nil : parts.joined(separator: ". ") + "."
    }

    // MARK: Sections

    func overview(_ doc: inout PackageDocument) {
        doc.heading(2, "Overview")
        for published in workflows {
            let runtime = published.runtime
            let exhibits = Set(published.exhibits.map(\.label)).count
            var text = "\(published.relativePath) reruns " + (Self.paperCitation(published.graph.paper) ?? published.graph.title ?? published.name)
            text += " It has \(published.graph.stages.count) stages and makes \(exhibits) labelled tables and figures."
            if let full = runtime.fullRun {
                text += " Its last complete run (every stage executed, run \(full.header.runID)) took \(Self.seconds(full.seconds)) of wall time on \(full.header.jobs) parallel jobs"
                text += full.header.machine.map { " on \($0.cpu), \($0.cores) cores" } ?? ""
                text += "."
            }
            text += " The stages' own times add up to \(Self.seconds(runtime.stageSeconds)) (one core, nothing cached)"
            text += runtime.unrecordedStages > 0 ? "; \(runtime.unrecordedStages) stages have no time recorded in this store." : "."
            doc.paragraph(text)
        }
        doc.paragraph("Everything here was written by `paperflow package` from the workflows' lock files and run records: the lock files hold the SHA-256 of every stage's output, and `paperflow verify .` reruns the workflows in this folder on an empty store and compares every output with them.")
    }

    func dataAvailability(_ doc: inout PackageDocument) {
        doc.heading(2, "Data Availability and Provenance Statements")
        let statements = workflows.flatMap { w in w.dataStages.map { (w, $0.stage, $0.data) } }
        let restricted = statements.filter { _, _, data in data.map { !$0.isProvided || $0.replaces != nil } ?? false }
        doc.heading(3, "Statement about rights")
        doc.paragraph("For the authors to confirm before deposit (the template's two statements; Paperflow cannot know them):")
        doc.list([
            "The authors of the manuscript have legitimate access to and permission to use the data used in this manuscript.",
            "The authors of the manuscript have documented permission to redistribute and publish the data contained within this replication package, as each source's licence below states.",
        ])
        doc.heading(3, "Summary of availability")
        doc.paragraph(restricted.isEmpty
                      ? "All data are publicly available, and all are provided in this package."
                      : "Some data cannot be made publicly available. Where the paper used confidential or restricted data, this package holds a synthetic stand-in that the workflow generates, and the tables made from it are flagged in the list of tables below; the real data are described here with how to obtain them.")
        if !leftOut.isEmpty {
            doc.paragraph("Not in this package (confidential or not provided): " + leftOut.joined(separator: ", ") + ".")
        }
        doc.heading(3, "Details on each data source")
        for (published, stage, data) in statements {
            var items: [String] = []
            let name = data?.title ?? stage.name
            doc.heading(4, "\(name) (\(published.name), stage \(stage.name))")
            guard let data else {
                doc.paragraph("No data statement was written for this stage (add a `data:` block to it).")
                continue
            }
            if data.replaces == nil { items += describe(data) } else if let title = data.title { items.append("Dataset: \(title)") }
            if let real = data.replaces {
                items.append("Synthetic stand-in, generated by the workflow (\(stage.pluginReference), seeded): it replaces the real data below, which this package does not hold.")
                items += describe(real).map { "Real data — " + $0 }
            }
            let files = published.dataFiles.filter { $0.stage == stage.name }.map(\.path)
            if !files.isEmpty { items.append("Files: " + files.joined(separator: ", ")) }
            doc.list(items)
        }
    }

    func describe(_ data: DataStatement) -> [String] {
        var items: [String] = []
        if let title = data.title { items.append("Dataset: \(title)") }
        if let citation = data.citation { items.append("Citation: \(citation)") }
        if let doi = data.doi { items.append("DOI: \(doi)") }
        if let url = data.url { items.append("URL: \(url)") }
        items.append("Access: " + (data.access?.rawValue ?? "not stated"))
        if data.licence != nil || data.access == .public || data.access == nil {
            items.append("Licence: " + (data.licence ?? "not stated") + (data.licenceFile.map { " (\($0))" } ?? ""))
        }
        items.append("Provided in this package: " + (data.replaces != nil ? "generated by the workflow" : data.isProvided ? "yes" : "no"))
        if let obtain = data.obtain { items.append("How to obtain: \(obtain)") }
        if let cost = data.cost { items.append("Cost: \(cost)") }
        if let time = data.time { items.append("Time to obtain: \(time)") }
        return items
    }

    func datasetList(_ doc: inout PackageDocument) {
        doc.heading(2, "Dataset list")
        var rows: [[String]] = []
        var seen: Set<String> = []
        for published in workflows {
            for file in published.dataFiles where seen.insert(file.path).inserted {
                let data = published.spec(file.stage)?.data
                rows.append([file.path, file.size.map(Self.megabytes) ?? "—", file.digest?.hex ?? "—", file.format,
                             file.provided ? "yes" : "no", data?.citation ?? data?.title ?? "no data statement"])
            }
            for (stage, data) in published.dataStages where stage.pluginID.hasPrefix("synthetic.") {
                rows.append(["(generated by stage \(stage.name))", "—", "—", "\(stage.pluginReference)", "generated",
                             data?.replaces?.citation.map { "stand-in for: " + $0 } ?? data?.title ?? "synthetic"])
            }
        }
        doc.table(["Data file", "Size", "SHA-256", "Format", "Provided", "Citation"], rows)
    }

    func requirements(_ doc: inout PackageDocument) {
        doc.heading(2, "Computational requirements")
        doc.heading(3, "Software requirements")
        var items = [
            "Paperflow \(build.version), build fingerprint \(build.fingerprint) (every stage's code and data; each stage's own fingerprint is in the lock files)",
            "Built with \(machine.swift); Paperflow builds with `swift build` on Linux or macOS and needs no other system library for the built-in stages.",
        ]
        let plugins = workflows.flatMap(\.externalPlugins)
        items += plugins.map { "External plugin \($0.id) (\($0.folder), \($0.digest))" }
        doc.list(items)
        for plugin in plugins {
            for (title, text) in plugin.details {
                doc.paragraph("\(plugin.id) — \(title):")
                doc.code(text)
            }
        }
        doc.heading(3, "Controlled randomness")
        let seeds = workflows.flatMap { w in w.seeds.map { (w, $0) } }
        if seeds.isEmpty {
            doc.paragraph("No stage draws random numbers.")
        } else {
            doc.paragraph("Every random number generator is seeded; the seeds are:")
            doc.table(["Workflow", "Stage", "Parameter", "Value", "Set at"], seeds.map { published, seed in
                var place = seed.location.map { "\($0)" } ?? "the plugin's default"
                if let parameter = seed.workflowParameter { place += " from params.\(parameter.name) (\(parameter.valueLocation))" }
                return [published.name, seed.stage, seed.parameter, seed.value, place]
            })
        }
        doc.heading(3, "Memory, runtime and storage requirements")
        var rows: [[String]] = []
        for published in workflows {
            let runtime = published.runtime
            let described = runtime.machine ?? runtime.fullRun?.header.machine
            let outputs = published.lock?.stages.values.reduce(Int64(0)) { $0 + $1.outputs.values.reduce(0) { $0 + $1.size } } ?? 0
            rows.append([published.name, runtime.fullRun.map { Self.seconds($0.seconds) } ?? "—", Self.seconds(runtime.stageSeconds),
                         Self.megabytes(outputs),
                         described.map { "\($0.os); \($0.kernel); \($0.cpu); \($0.cores) cores; \(String(format: "%.1f", Double($0.memory) / 1_073_741_824)) GiB" } ?? "not recorded"])
        }
        doc.table(["Workflow", "Wall time (last complete run)", "Sum of stage times", "Artifacts stored", "Machine that ran it"], rows)
        doc.paragraph("This package was written on \(machine.os), \(machine.cpu), \(machine.cores) cores, \(String(format: "%.1f", Double(machine.memory) / 1_073_741_824)) GiB.")
    }

    func programs(_ doc: inout PackageDocument) {
        doc.heading(2, "Description of programs/code")
        var items: [String] = []
        for published in workflows {
            items.append("\(published.relativePath): the workflow (\(published.graph.stages.count) stages); its lock file \(PublishedWorkflow.relative(published.session.lockURL, to: published.session.projectRoot)) records every stage's key, parameters, input digests and output digests.")
            items += published.codeFiles.map { "\($0): a script run by a shell stage of \(published.name)" }
            items += published.exportedFiles.map { "\($0.path): exported by stage \($0.stage) of \(published.name) (its \($0.output.fileName))" }
            items += published.externalPlugins.map { "\($0.folder)/: external plugin \($0.id)" }
        }
        items.append("ro-crate-metadata.json: the runs' provenance as a Workflow Run RO-Crate (Provenance Run Crate 0.5).")
        items.append("MANIFEST.sha256: the SHA-256 of every file of this package.")
        doc.list(items)
        doc.paragraph("Stage by stage:")
        doc.table(["Workflow", "Stage", "Plugin", "Reads"], workflows.flatMap { published in
            published.graph.stages.map { stage in
                [published.name, stage.name, stage.pluginReference,
                 (stage.inputs.values.flatMap { $0.map(\.description) } + stage.fileDependencies).joined(separator: ", ")]
            }
        })
    }

    func instructions(_ doc: inout PackageDocument) {
        doc.heading(2, "Instructions to Replicators")
        doc.paragraph("Install Swift 6.1 or later (swift.org) and Paperflow \(build.version); then, in this folder:")
        doc.code((workflows.map { "paperflow run \($0.relativePath)" } + ["paperflow verify ."]).joined(separator: "\n"))
        doc.paragraph("The first command runs each workflow from its data (the outputs go to Artifacts/); the second reruns them all on an empty store and compares every output with the SHA-256 in the lock files, stage by stage, and exits non-zero on any difference. `sha256sum -c MANIFEST.sha256` checks that the package is as it was written.")
    }

    func exhibitMap(_ doc: inout PackageDocument) {
        doc.heading(2, "List of tables and programs")
        // One row per exhibit of a stage: its outputs (the formats of one table) together.
        var rows: [[String]] = []
        for published in workflows {
            var groups: [(key: String, exhibits: [PublishedWorkflow.Exhibit])] = []
            for exhibit in published.exhibits {
                let key = exhibit.stage + "\u{0}" + exhibit.label
                if let index = groups.firstIndex(where: { $0.key == key }) { groups[index].exhibits.append(exhibit) } else { groups.append((key, [exhibit])) }
            }
            for (_, exhibits) in groups {
                let first = exhibits[0]
                rows.append([first.label, "\(published.name): \(first.stage) (\(exhibits.map(\.port).joined(separator: ", ")))",
                             first.withheld ? "withheld: a confidential stage made it (release it with confidential: false)"
                                 : exhibits.map(\.packagePath).joined(separator: ", "),
                             first.needsRealData ? Self.standInNote : "reproduced from the package"])
            }
        }
        doc.table(["Exhibit", "Stage (outputs)", "Files in this package", "Data"], rows)
        if rows.contains(where: { $0[3] == Self.standInNote }) {
            doc.paragraph("Exhibits marked \"made from a synthetic stand-in\" reproduce the paper's code on generated data: their numbers equal the lock files' but not the published ones, which need the real data described above.")
        }
    }

    static let standInNote = "made from a synthetic stand-in or data not provided"

    func references(_ doc: inout PackageDocument) {
        doc.heading(2, "References")
        var items: [String] = []
        for published in workflows { if let paper = Self.paperCitation(published.graph.paper) { items.append(paper) } }
        for published in workflows {
            for (_, data) in published.dataStages {
                items += [data?.citation, data?.replaces?.citation].compactMap { $0 }
            }
        }
        var seen: Set<String> = []
        doc.list(items.filter { seen.insert($0).inserted })
        if items.isEmpty { doc.paragraph("No references were declared.") }
    }

    // MARK: Companions

    /// `CITATION.cff` (Citation File Format 1.2) of the paper a workflow reruns.
    static func citationFile(_ published: PublishedWorkflow?) -> String? {
        guard let paper = published?.graph.paper?.mapValue, let title = paper["title"]?.stringValue else { return nil }
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let authors = paper["authors"]?.listValue?.compactMap(\.stringValue) ?? []
        var lines = ["cff-version: 1.2.0", "message: \(quoted("If you use this replication package, please cite the paper."))",
                     "title: \(quoted("Replication package: " + title))", "authors:"]
        lines += (authors.isEmpty ? ["unknown"] : authors).map { "  - name: \(quoted($0))" }
        lines += ["preferred-citation:", "  type: article", "  title: \(quoted(title))", "  authors:"]
        lines += (authors.isEmpty ? ["unknown"] : authors).map { "    - name: \(quoted($0))" }
        if let journal = paper["journal"]?.stringValue { lines.append("  journal: \(quoted(journal))") }
        if let year = paper["year"] { lines.append("  year: \(PublishedWorkflow.plainText(year))") }
        if let doi = paper["doi"] { lines.append("  doi: \(quoted(PublishedWorkflow.plainText(doi)))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `README.tex` and compiles `README.pdf` with pdflatex when it is on PATH; `false`
    /// (and no PDF) when it is not. The LaTeX source and pdflatex's scratch files are removed.
    static func compilePDF(_ doc: PackageDocument, in folder: URL) throws -> Bool {
        guard let pdflatex = PublishedWorkflow.executableOnPath("pdflatex") else { return false }
        let scratch = folder.appendingPathComponent(".readme-latex", isDirectory: true)
        try FileSystem.makeDirectory(scratch)
        defer { _ = FileSystem.removeTree(scratch.path) }
        try FileSystem.writeAtomically(Data(doc.latex.utf8), to: scratch.appendingPathComponent("README.tex"))
        for _ in 0..<2 {  // twice: longtable settles its column widths on the second pass
            let process = Process()
            process.executableURL = URL(fileURLWithPath: pdflatex)
            process.arguments = ["-interaction=nonstopmode", "-halt-on-error", "README.tex"]
            process.currentDirectoryURL = scratch
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let log = (try? String(contentsOf: scratch.appendingPathComponent("README.log"), encoding: .utf8)) ?? ""
                let error = log.split(separator: "\n").first { $0.hasPrefix("!") } ?? "see pdflatex's log"
                throw ReplicationPackage.Failure(description: "pdflatex could not typeset README.pdf: \(error)")
            }
        }
        try FileManager.default.moveItem(at: scratch.appendingPathComponent("README.pdf"), to: folder.appendingPathComponent("README.pdf"))
        return true
    }
}
