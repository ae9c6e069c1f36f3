import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

/// `paperflow package`, `package --check`, `verify` and `export crate`, run as a user runs them.
@Suite("replication packages and provenance crates", .serialized)
struct PackageTests {
    static let repository = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent()

    /// A temporary project holding copies of the repository's `paths`.
    static func project(copying paths: [String]) throws -> TemporaryProject {
        let project = try TemporaryProject()
        for path in paths {
            let target = project.root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: repository.appendingPathComponent(path), to: target)
        }
        return project
    }

    static func paperflow(_ arguments: [String], in directory: URL, timeout: Double = 600) throws -> (status: Int32, stdout: String, stderr: String) {
        try PaperflowProcess.run(arguments, in: directory, timeout: timeout)
    }

    /// The level-2 sections of a Markdown README with their bodies.
    static func sections(_ markdown: String) -> [String: String] {
        var result: [String: String] = [:]
        var current: String?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { current = String(line.dropFirst(3)); result[current!] = ""; continue }
            if let current { result[current]! += line + "\n" }
        }
        return result
    }

    static func sha256(_ url: URL) throws -> String {
        try ContentHasher.digest(ofFileAt: url.path).digest.hex
    }

    @Test("liu-zhu-2021 and zhou-2010 packaged: every template section, every labelled output mapped with its lock digest, sha256sum -c passes, only public data inside, the zip and README.pdf, and verify in a fresh folder reproduces every output")
    func paperWorkflows() throws {
        _ = try ExternalTool.require("pdflatex")
        let project = try Self.project(copying: [
            "Workflows/liu-zhu-2021.yaml", "Workflows/zhou-2010.yaml", "Workflows/data/geography", "Workflows/data/geo",
            "Workflows/data/zhou-2010",
        ])
        defer { project.cleanUp() }
        let ran = try Self.paperflow(["run", "Workflows/liu-zhu-2021.yaml", "Workflows/zhou-2010.yaml", "--quiet"], in: project.root)
        #expect(ran.status == 0, "\(ran.stderr)")
        let out = project.root.appendingPathComponent("deposit")
        let packaged = try Self.paperflow(["package", "Workflows/liu-zhu-2021.yaml", "Workflows/zhou-2010.yaml", "deposit", "--zip"], in: project.root)
        try #require(packaged.status == 0, "\(packaged.stderr)")
        #expect(packaged.stdout.contains("README.pdf"))

        // Every section of the template, none empty.
        let readme = try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8)
        let sections = Self.sections(readme)
        for section in ["Overview", "Data Availability and Provenance Statements", "Dataset list", "Computational requirements",
                        "Description of programs/code", "Instructions to Replicators", "List of tables and programs", "References"] {
            let body = try #require(sections[section], "README.md lacks '\(section)'")
            #expect(body.trimmingCharacters(in: .whitespacesAndNewlines).count > 40, "section '\(section)' is (nearly) empty")
        }
        #expect(readme.contains("| liu-zhu-2021 | customs | seed | 20210301 | Workflows/liu-zhu-2021.yaml:72:13 from params.seed (Workflows/liu-zhu-2021.yaml:22:9) |"))
        #expect(readme.contains("Real data — Access: restricted"))
        #expect(readme.contains("Real data — Access: confidential"))

        // The table map: every labelled output of both workflows, its file equal to the lock's digest.
        var labelled = 0
        for name in ["liu-zhu-2021", "zhou-2010"] {
            let workflow = try WorkflowLoader().load(contentsOf: project.root.appendingPathComponent("Workflows/\(name).yaml"), displayPath: name)
            let lock = try #require(try WorkflowLock.read(from: project.root.appendingPathComponent("Workflows/\(name).lock")))
            for stage in workflow.stages where stage.label != nil {
                let entry = try #require(lock.stages[stage.name])
                for (port, output) in entry.outputs {
                    let path = "outputs/\(name)/\(stage.name)/\(output.fileName)"
                    labelled += 1
                    #expect(readme.contains(path), "the table map lacks \(stage.name).\(port)")
                    #expect(try Self.sha256(out.appendingPathComponent(path)) == output.digest.hex, "\(path) is not the lock's output")
                }
            }
        }
        #expect(labelled > 60)

        // The manifest checks with the system's sha256sum.
        let check = try ExternalTool.run(URL(fileURLWithPath: "/usr/bin/sha256sum"), ["-c", "--strict", "MANIFEST.sha256"], in: out)
        #expect(check.status == 0, "\(check.output.suffix(500))")

        // Exactly these files besides the exhibits: the workflows, locks, public data with their
        // notes — no stand-in's real data, no store, no absolute path.
        let files = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter {
            !$0.hasPrefix("outputs") && !FileManager.default.fileExists(atPath: out.appendingPathComponent($0).path + "/.")
        }.sorted()
        #expect(files == [
            "CITATION.cff", "MANIFEST.sha256", "README.md", "README.pdf",
            "Workflows/data/geo/README.md", "Workflows/data/geo/prefecture_points/SOURCE.md",
            "Workflows/data/geo/prefecture_points/china_prefecture_points.geojson", "Workflows/data/geo/provinces/SOURCE.md",
            "Workflows/data/geo/provinces/china_provinces.geojson", "Workflows/data/geography/cities.csv",
            "Workflows/data/geography/provinces.csv", "Workflows/data/zhou-2010/published.csv", "Workflows/data/zhou-2010/table2.csv",
            "Workflows/liu-zhu-2021.lock", "Workflows/liu-zhu-2021.yaml", "Workflows/zhou-2010.lock", "Workflows/zhou-2010.yaml",
            "ro-crate-metadata.json",
        ])
        #expect(!readme.contains(project.root.path), "the README names an absolute path of this machine")

        // The zip holds the same files (unzip tests every member's CRC).
        let zipped = try ExternalTool.run(try ExternalTool.require("unzip"), ["-tq", "deposit.zip"], in: project.root)
        #expect(zipped.status == 0, "\(zipped.output)")
        let listing = try ExternalTool.run(try ExternalTool.require("unzip"), ["-Z1", "deposit.zip"], in: project.root)
        let manifest = try String(contentsOf: out.appendingPathComponent("MANIFEST.sha256"), encoding: .utf8)
        let manifestFiles = manifest.split(separator: "\n").map { "deposit/" + $0.dropFirst(66) } + ["deposit/MANIFEST.sha256"]
        #expect(Set(listing.output.split(separator: "\n").map(String.init)) == Set(manifestFiles))

        // The editor's rerun, on a copy in a fresh folder.
        let elsewhere = try TemporaryProject()
        defer { elsewhere.cleanUp() }
        let copy = elsewhere.root.appendingPathComponent("package")
        try FileManager.default.copyItem(at: out, to: copy)
        let verified = try Self.paperflow(["verify", "."], in: copy)
        #expect(verified.status == 0, "\(verified.stdout)\n\(verified.stderr)")
        let outputs = try ["liu-zhu-2021", "zhou-2010"].map {
            try #require(try WorkflowLock.read(from: copy.appendingPathComponent("Workflows/\($0).lock"))).stages.values.reduce(0) { $0 + $1.outputs.count }
        }.reduce(0, +)
        #expect(verified.stdout.contains("verify: all \(outputs) outputs of 2 workflows equal their lock files"))
        #expect(!FileManager.default.fileExists(atPath: copy.appendingPathComponent("Artifacts/cas").path), "verify used the package's store")

        // A changed output is found.
        let table = copy.appendingPathComponent("Workflows/data/zhou-2010/table2.csv")
        try Data((try String(contentsOf: table, encoding: .utf8)).replacingOccurrences(of: "1516", with: "1517").utf8).write(to: table)
        let changed = try Self.paperflow(["verify", "."], in: copy)
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("zhou-2010") && changed.stderr.contains("outputs differ from the lock files"))

        // The crate the package includes validates.
        let crate = try ExternalTool.validateCrate(out, profiles: ["process-run-crate-0.5", "workflow-run-crate-0.5", "provenance-run-crate-0.5"])
        #expect(crate.status == 0, "\(crate.output)")
    }

    /// A workflow with a confidential input, a public one and a table made from both.
    static let confidentialWorkflow = """
        workflow: w
        stages:
          secret:
            uses: io.csv@2
            with: {path: data/firms.csv}
            data: {title: Firm survey, citation: "Survey (2020)", access: confidential, provided: false, obtain: "Ask the statistics office"}
          regions:
            uses: io.csv@2
            with: {path: data/regions.csv}
            data: {citation: "Regions (2020)", licence: CC0-1.0, access: public}
          joined:
            uses: data.join@1
            inputs: {table: secret.table, right: regions.table}
            with: {on: [region]}
          table:
            uses: tables.crosstab@1
            inputs: {table: joined.table}
            with: {rows: part, cells: [n()]}
            label: Table 1
          regions_table:
            uses: tables.crosstab@1
            inputs: {table: regions.table}
            with: {rows: part, cells: [n()]}
            label: Table A1
          firm_list:
            uses: tables.crosstab@1
            inputs: {table: joined.table}
            with: {rows: firm, cells: [n()]}
            confidential: true
            label: Table P

        """

    @Test("a confidential input stays out of the package (it goes to the not-for-publication folder), the table made from it is flagged, and verify names what it cannot rerun")
    func confidentialInput() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/w.yaml", Self.confidentialWorkflow)
        let secret = "firm,region\nf1,north\nf2,south\nf3,south\nsecret-marker,north\n"
        try project.write("data/firms.csv", secret)
        try project.write("data/regions.csv", "region,part\nnorth,N\nsouth,S\n")
        #expect(try Self.paperflow(["run", "Workflows/w.yaml", "--quiet"], in: project.root).status == 0)
        let packaged = try Self.paperflow(["package", "Workflows/w.yaml", "deposit", "--confidential-to", "for-the-editor"], in: project.root)
        try #require(packaged.status == 0, "\(packaged.stderr)")
        #expect(packaged.stdout.contains("left out (confidential or not provided): data/firms.csv"))
        let out = project.root.appendingPathComponent("deposit")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("data/firms.csv").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("data/regions.csv").path))
        // No file of the package holds the confidential rows.
        for path in try FileManager.default.subpathsOfDirectory(atPath: out.path) {
            let data = (try? Data(contentsOf: out.appendingPathComponent(path))) ?? Data()
            #expect(data.range(of: Data("secret-marker".utf8)) == nil, "\(path) holds confidential data")
        }
        let readme = try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("| Table 1 | w: table (markdown, latex, html, csv, values) |"))
        #expect(readme.contains("made from a synthetic stand-in or data not provided |"))
        #expect(readme.contains("| Table A1 | w: regions_table (markdown, latex, html, csv, values) |") && readme.contains("| reproduced from the package |"))
        #expect(readme.contains("Not in this package (confidential or not provided): data/firms.csv."))
        // A table from a stage marked confidential is listed, not shipped.
        #expect(readme.contains("| Table P | w: firm_list (markdown, latex, html, csv, values) | withheld: a confidential stage made it (release it with confidential: false) |"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("outputs/w/firm_list").path))
        // The Economic Journal's separate folder, with its own manifest.
        let editor = project.root.appendingPathComponent("for-the-editor")
        #expect(try String(contentsOf: editor.appendingPathComponent("data/firms.csv"), encoding: .utf8) == secret)
        #expect(try String(contentsOf: editor.appendingPathComponent("README.md"), encoding: .utf8).contains("not for publication"))
        let check = try ExternalTool.run(URL(fileURLWithPath: "/usr/bin/sha256sum"), ["-c", "--strict", "MANIFEST.sha256"], in: editor)
        #expect(check.status == 0, "\(check.output)")
        // Without the confidential file verify cannot rerun `secret` and what depends on it; with it, it can.
        let missing = try Self.paperflow(["verify", "."], in: out)
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("  secret: did not run (failed)"))
        try FileManager.default.copyItem(at: editor.appendingPathComponent("data"), to: out.appendingPathComponent("data-editor"))
        try FileManager.default.moveItem(at: out.appendingPathComponent("data-editor/firms.csv"), to: out.appendingPathComponent("data/firms.csv"))
        let complete = try Self.paperflow(["verify", "."], in: out)
        #expect(complete.status == 0, "\(complete.stdout)\(complete.stderr)")
    }

    @Test("export crate of a run that reused cached stages: valid at REQUIRED level for process, workflow and provenance run crate 0.5; cached stages point at the run that executed them; without mainEntity it fails")
    func crate() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/w.yaml", """
            workflow: w
            params: {rows: part}
            stages:
              regions:
                uses: io.csv@2
                with: {path: data/regions.csv}
                data: {citation: "Regions (2020)", licence: CC0-1.0, access: public}
              table:
                uses: tables.crosstab@1
                inputs: {table: regions.table}
                with: {rows: "${params.rows}", cells: [n()], caption: first}
                label: Table 1

            """)
        try project.write("data/regions.csv", "region,part\nnorth,N\nsouth,S\n")
        #expect(try Self.paperflow(["run", "Workflows/w.yaml", "--quiet"], in: project.root).status == 0)
        let first = try #require(try FileManager.default.contentsOfDirectory(atPath: project.root.appendingPathComponent("Artifacts/runs").path).first)
        try project.write("Workflows/w.yaml", try project.read("Workflows/w.yaml").replacingOccurrences(of: "caption: first", with: "caption: second"))
        #expect(try Self.paperflow(["run", "Workflows/w.yaml", "--quiet"], in: project.root).status == 0)
        let exported = try Self.paperflow(["export", "crate", "Workflows/w.yaml", "crate"], in: project.root)
        try #require(exported.status == 0, "\(exported.stderr)")
        let crate = project.root.appendingPathComponent("crate")
        let valid = try ExternalTool.validateCrate(crate, profiles: ["process-run-crate-0.5", "workflow-run-crate-0.5", "provenance-run-crate-0.5"])
        #expect(valid.status == 0, "\(valid.output)")
        #expect(valid.output.contains("contexts served locally: https://w3id.org/ro/crate/1.1/context, https://w3id.org/ro/terms/workflow-run/context"))

        let metadataURL = crate.appendingPathComponent("ro-crate-metadata.json")
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: metadataURL)) as? [String: Any])
        var graph = try #require(document["@graph"] as? [[String: Any]])
        let ids = graph.compactMap { $0["@id"] as? String }
        // `regions` was cached in the second run: its action is the first run's.
        let firstRun = String(first.dropLast(".jsonl".count))
        #expect(ids.contains("#w/run/\(firstRun)/regions"))
        #expect(!ids.contains("#w/run/\(firstRun)/table"))
        let table = try #require(graph.first { ($0["@id"] as? String) == "Workflows/w.yaml" })
        #expect((table["@type"] as? [String])?.contains("ComputationalWorkflow") == true)
        let output = try #require(graph.first { ($0["@id"] as? String) == "outputs/w/table/table.csv" })
        let lock = try #require(try WorkflowLock.read(from: project.root.appendingPathComponent("Workflows/w.lock")))
        #expect(output["sha256"] as? String == lock.stages["table"]?.outputs["csv"]?.digest.hex)
        #expect(output["encodingFormat"] as? String == "text/csv")

        // --run describes another run: the first, where both stages executed.
        let earlier = try Self.paperflow(["export", "crate", "Workflows/w.yaml", "crate-first", "--run", firstRun], in: project.root)
        try #require(earlier.status == 0, "\(earlier.stderr)")
        let earlierText = try String(contentsOf: project.root.appendingPathComponent("crate-first/ro-crate-metadata.json"), encoding: .utf8)
        #expect(earlierText.contains("\"#w/run/\(firstRun)/table\""))
        let unknown = try Self.paperflow(["export", "crate", "Workflows/w.yaml", "crate-none", "--run", "20000101T000000.000Z-1"], in: project.root)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: the store has no run '20000101T000000.000Z-1' of w: 'paperflow status' lists the runs\n")

        // The check is real: the same crate without mainEntity fails.
        for index in graph.indices where graph[index]["@id"] as? String == "./" { graph[index].removeValue(forKey: "mainEntity") }
        document["@graph"] = graph
        try JSONSerialization.data(withJSONObject: document).write(to: metadataURL)
        let broken = try ExternalTool.validateCrate(crate, profiles: ["workflow-run-crate-0.5", "provenance-run-crate-0.5"])
        #expect(broken.status == 1)
        #expect(broken.output.contains("The Main Workflow must be specified through a `mainEntity` property in the root data entity"))
    }

    @Test("external plugins in the package: their folders, their digests, the Python packages of the statsmodels venv and R's sessionInfo()",
          .timeLimit(.minutes(15)))
    func pluginEnvironments() throws {
        _ = try ExternalTool.require("Rscript")
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let fm = FileManager.default
        try fm.createDirectory(at: project.root.appendingPathComponent("Plugins"), withIntermediateDirectories: true)
        for plugin in ["fixest-feols", "statsmodels-probit"] {
            try fm.copyItem(at: Self.repository.appendingPathComponent("Plugins/\(plugin)"), to: project.root.appendingPathComponent("Plugins/\(plugin)"))
        }
        // The plugins' environments are the checkout's (made once per machine, as ExternalPluginTests do).
        let environments = Self.repository.appendingPathComponent("Artifacts/plugins")
        try fm.createDirectory(at: environments, withIntermediateDirectories: true)
        try fm.createDirectory(at: project.root.appendingPathComponent("Artifacts"), withIntermediateDirectories: true)
        try fm.createSymbolicLink(at: project.root.appendingPathComponent("Artifacts/plugins"), withDestinationURL: environments)
        try project.copy(fixture: "models/m2_panel.csv", to: "data/m2_panel.csv")
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              data:
                uses: io.csv@2
                with: {path: data/m2_panel.csv}
                data: {citation: "Generated test panel", licence: CC0-1.0, access: public}
              binary:
                uses: data.derive@1
                inputs: {table: data.table}
                with: {columns: ["e = ifelse(y > 0, 1, 0)"]}
              linear:
                uses: fixest.feols@1
                inputs: {table: data.table}
                with: {formula: "y ~ x1 + x2 | province"}
              probit:
                uses: statsmodels.probit@1
                inputs: {table: binary.table}
                with: {formula: "e ~ x1 + x2"}

            """)
        let ran = try Self.paperflow(["run", "Workflows/m.yaml", "--quiet"], in: project.root, timeout: 900)
        try #require(ran.status == 0, "\(ran.stderr)")
        let packaged = try Self.paperflow(["package", "Workflows/m.yaml", "deposit"], in: project.root)
        try #require(packaged.status == 0, "\(packaged.stderr)")
        let out = project.root.appendingPathComponent("deposit")
        for file in ["Plugins/fixest-feols/plugin.yaml", "Plugins/fixest-feols/feols.R", "Plugins/statsmodels-probit/probit.py",
                     "Plugins/statsmodels-probit/requirements.txt"] {
            #expect(fm.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        let readme = try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8)
        let requirements = try String(contentsOf: project.root.appendingPathComponent("Plugins/statsmodels-probit/requirements.txt"), encoding: .utf8)
        #expect(readme.contains("- External plugin fixest.feols@1 (Plugins/fixest-feols, sha256:"))
        #expect(readme.contains("- External plugin statsmodels.probit@1 (Plugins/statsmodels-probit, sha256:"))
        #expect(readme.contains("fixest.feols@1 — R sessionInfo():\n\n```\nR version "))
        #expect(readme.contains("statsmodels.probit@1 — requirements.txt:\n\n```\n" + requirements.trimmingCharacters(in: .whitespacesAndNewlines) + "\n```"))
        // Each pinned requirement is what the venv has installed.
        let installed = try #require(readme.range(of: "statsmodels.probit@1 — Python packages of its venv:\n\n```\n"))
        let listing = readme[installed.upperBound...].prefix { $0 != "`" }
        for line in requirements.split(separator: "\n") where line.contains("==") {
            let parts = line.split(separator: "=", omittingEmptySubsequences: true)
            #expect(listing.lowercased().contains("\(parts[0].lowercased())==\(parts[1])"), "\(line) is not in the venv listing")
        }
    }

    @Test("refusals leave nothing behind: a stale lock, a data file that is a symbolic link out of the project, a package folder that is not empty")
    func refusals() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let outside = try TemporaryProject()
        defer { outside.cleanUp() }
        try project.write("Workflows/w.yaml", """
            workflow: w
            stages:
              regions:
                uses: io.csv@2
                with: {path: data/regions.csv}
                data: {citation: "Regions (2020)", licence: CC0-1.0, access: public}

            """)
        try project.write("data/regions.csv", "region,part\nnorth,N\n")
        let never = try Self.paperflow(["package", "Workflows/w.yaml", "deposit"], in: project.root)
        #expect(never.status == 1)
        #expect(never.stderr == "error: Workflows/w.yaml has no lock file: run 'paperflow run Workflows/w.yaml' first\n")
        #expect(try Self.paperflow(["run", "Workflows/w.yaml", "--quiet"], in: project.root).status == 0)
        try project.write("data/regions.csv", "region,part\nnorth,N\nsouth,S\n")
        let stale = try Self.paperflow(["package", "Workflows/w.yaml", "deposit"], in: project.root)
        #expect(stale.status == 1)
        #expect(stale.stderr == "error: Workflows/w.yaml: the lock and the store do not describe the workflow as it is (regions): run 'paperflow run Workflows/w.yaml' first\n")

        // A link out of the project is refused when the workflow is read (the trust model)...
        let target = try outside.write("regions.csv", "region,part\nnorth,N\nsouth,S\n")
        try FileManager.default.removeItem(at: project.root.appendingPathComponent("data/regions.csv"))
        try FileManager.default.createSymbolicLink(at: project.root.appendingPathComponent("data/regions.csv"), withDestinationURL: target)
        let out = try Self.paperflow(["package", "Workflows/w.yaml", "deposit"], in: project.root)
        #expect(out.status == 1)
        #expect(out.stderr.hasPrefix("Workflows/w.yaml:5:18: error: parameter 'path' of stage 'regions': path 'data/regions.csv' leads through a symlink to '\(target.path)', outside the project"))
        // ...and a link inside it when the package is written: a package holds files.
        try FileManager.default.removeItem(at: project.root.appendingPathComponent("data/regions.csv"))
        try project.write("data/source/regions.csv", "region,part\nnorth,N\nsouth,S\n")
        try FileManager.default.createSymbolicLink(atPath: project.root.appendingPathComponent("data/regions.csv").path, withDestinationPath: "source/regions.csv")
        #expect(try Self.paperflow(["run", "Workflows/w.yaml", "--quiet"], in: project.root).status == 0)
        let linked = try Self.paperflow(["package", "Workflows/w.yaml", "deposit"], in: project.root)
        #expect(linked.status == 1)
        #expect(linked.stderr == "error: data/regions.csv is a symbolic link: replace it with the file itself before packaging\n")
        let left = try FileManager.default.contentsOfDirectory(atPath: project.root.path).sorted()
        #expect(left == ["Artifacts", "Workflows", "data"], "a refused package left \(left)")

        try FileManager.default.removeItem(at: project.root.appendingPathComponent("data/regions.csv"))
        try project.write("data/regions.csv", "region,part\nnorth,N\nsouth,S\n")
        try project.write("deposit/old.txt", "an earlier deposit")
        let occupied = try Self.paperflow(["package", "Workflows/w.yaml", "deposit"], in: project.root)
        #expect(occupied.status == 1)
        #expect(occupied.stderr.hasSuffix("/deposit exists and is not an empty folder: name a new folder for the package\n"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: project.root.appendingPathComponent("deposit").path) == ["old.txt"])
    }
}
