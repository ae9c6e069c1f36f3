import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

/// Experiments and comparison (issue 23): a `--set … --name` run leaves the paper's lock,
/// exports and views as they were; `paperflow diff` says what changed and why, and puts the
/// estimates side by side; partial and forced runs.
@Suite("Experiments and diff", .serialized)
struct ExperimentTests {
    static var repository: URL { Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent() }

    /// liu-zhu-2021 at the small scale as written (so that its lock is written), with an export.
    static func liuZhu() throws -> TemporaryProject {
        let project = try TemporaryProject()
        let manager = FileManager.default
        try manager.createDirectory(at: project.root.appendingPathComponent("Workflows/data"), withIntermediateDirectories: true)
        for folder in ["geography", "geo", "china"] {
            try manager.copyItem(at: repository.appendingPathComponent("Workflows/data/\(folder)"),
                                 to: project.root.appendingPathComponent("Workflows/data/\(folder)"))
        }
        let text = try String(contentsOf: repository.appendingPathComponent("Workflows/liu-zhu-2021.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "\n  scale: default\n", with: "\n  scale: small\n")
        try project.write("Workflows/liu-zhu-2021.yaml", text + """
              exported_table:
                uses: io.export@1
                inputs: {artifact: table1.markdown}
                with: {to: results/table1.md}

            """)
        return project
    }

    /// Every file under `folder` with its bytes, except experiment folders.
    static func snapshot(_ folder: URL) -> [String: Data] {
        var files: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return files }
        for case let url as URL in walker where !url.path.contains("/experiments/") {
            if let data = FileManager.default.contents(atPath: url.path), FileSystem.identity(ofFileAt: url.path) != nil {
                files[String(url.path.dropFirst(folder.path.count))] = data
            }
        }
        return files
    }

    @Test("liu-zhu-2021 with logit and LPM experiments: the lock, exports and views stay byte-identical; exp list and diff report them")
    func experiments() throws {
        let project = try Self.liuZhu()
        defer { project.cleanUp() }
        let first = try PaperflowProcess.run(["run", "Workflows/liu-zhu-2021.yaml", "--quiet"], in: project.root, timeout: 600)
        #expect(first.status == 0, "\(first.stderr)")
        let lock = try Data(contentsOf: project.root.appendingPathComponent("Workflows/liu-zhu-2021.lock"))
        let exported = try Data(contentsOf: project.root.appendingPathComponent("results/table1.md"))
        let views = Self.snapshot(project.root.appendingPathComponent("Artifacts/liu-zhu-2021"))
        #expect(views.count > 50)

        for (name, plugin) in [("logit", "models.logit@2"), ("lpm", "models.lpm@2")] {
            let run = try PaperflowProcess.run(["run", "Workflows/liu-zhu-2021.yaml", "--set", "stages.model.uses=\(plugin)", "--name", name, "--quiet"],
                                               in: project.root, timeout: 600)
            #expect(run.status == 0, "\(run.stderr)")
            // The four model stages, table1, the robustness table (it shows model (4)) and the
            // export stage (its input changed): nothing else.
            #expect(run.stdout.hasPrefix("liu-zhu-2021: 7 ran, 57 cached in "), "\(run.stdout)")
        }
        #expect(try Data(contentsOf: project.root.appendingPathComponent("Workflows/liu-zhu-2021.lock")) == lock)
        #expect(try Data(contentsOf: project.root.appendingPathComponent("results/table1.md")) == exported)
        #expect(Self.snapshot(project.root.appendingPathComponent("Artifacts/liu-zhu-2021")) == views)
        #expect(FileManager.default.fileExists(atPath: project.root.appendingPathComponent("Artifacts/liu-zhu-2021/experiments/logit/model[4]/fit.json").path))

        let list = try PaperflowProcess.run(["exp", "list"], in: project.root)
        let names = list.stdout.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(names == ["logit", "lpm"])
        let status = try PaperflowProcess.run(["status", "Workflows/liu-zhu-2021.yaml"], in: project.root)
        #expect(status.stdout.contains("it was experiment 'lpm' (--set stages.model.uses=models.lpm@2)"))

        // diff last logit: the last run is lpm; exactly the four model stages, table1, the
        // robustness table and the export of table1 differ.
        let json = try PaperflowProcess.run(["diff", "last", "logit", "--format", "json"], in: project.root)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let recipe = try #require(object["recipe"] as? [[String: Any]])
        #expect(recipe.map { $0["stage"] as? String } == ["exported_table", "model[1]", "model[2]", "model[3]", "model[4]", "table1", "table_robustness"])
        #expect((recipe[1]["reasons"] as? [String]) == ["plugin changed: models.lpm@2 → models.logit@2"])
        #expect((recipe[0]["reasons"] as? [String])?.first?.hasPrefix("input 'artifact' changed: ") == true)
        // The grid's numbers are the two fit artifacts'.
        let fits = try #require(object["fits"] as? [[String: Any]])
        let model4 = try #require(fits.first { $0["stage"] as? String == "model[4]" })
        let logitFit = try Self.coefficients(project, "experiments/logit/model[4]/fit.json")
        let lpmFit = try Self.coefficients(project, "experiments/lpm/model[4]/fit.json")
        for row in try #require(model4["estimates"] as? [[String: Any]]) {
            let term = try #require(row["term"] as? String)
            let before = row["before"] as? [String: Any], after = row["after"] as? [String: Any]
            #expect((before?["estimate"] as? Double) == lpmFit[term]?.0, "\(term)")
            #expect((after?["estimate"] as? Double) == logitFit[term]?.0, "\(term)")
            #expect((after?["se"] as? Double) == logitFit[term]?.1, "\(term)")
        }

        // The Markdown and HTML forms of the committed lock against the logit experiment.
        for (format, golden) in [("markdown", "diff-lock-logit.md"), ("html", "diff-lock-logit.html")] {
            let diff = try PaperflowProcess.run(["diff", "lock", "logit", "--format", format], in: project.root)
            #expect(diff.status == 0)
            let url = Fixtures.url("experiments/\(golden)")
            if ProcessInfo.processInfo.environment["PAPERFLOW_UPDATE_GOLDENS"] == "1" {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(diff.stdout.utf8).write(to: url)
            }
            #expect(diff.stdout == (try String(contentsOf: url, encoding: .utf8)), "differs from Tests/Fixtures/experiments/\(golden)")
        }

        // The experiment's report ends with the same comparison.
        let report = try project.read("Artifacts/liu-zhu-2021/experiments/logit/report.html")
        #expect(report.contains(try String(contentsOf: Fixtures.url("experiments/diff-lock-logit.html"), encoding: .utf8)))

        // exp apply writes the override where the value stands; nothing else in the file changes.
        let before = try project.read("Workflows/liu-zhu-2021.yaml")
        #expect(try PaperflowProcess.run(["exp", "apply", "logit"], in: project.root).status == 0)
        let after = try project.read("Workflows/liu-zhu-2021.yaml")
        let changed = zip(before.split(separator: "\n", omittingEmptySubsequences: false), after.split(separator: "\n", omittingEmptySubsequences: false))
            .filter { $0 != $1 }
        #expect(changed.map { "\($0.0) → \($0.1)" } == ["    uses: models.probit@2 →     uses: models.logit@2"])
    }

    static func coefficients(_ project: TemporaryProject, _ path: String, workflow: String = "liu-zhu-2021") throws -> [String: (Double, Double)] {
        let data = try Data(contentsOf: project.root.appendingPathComponent("Artifacts/\(workflow)/\(path)"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var result: [String: (Double, Double)] = [:]
        for row in (object["coefficients"] as? [[String: Any]]) ?? [] {
            if let name = row["name"] as? String, let estimate = row["estimate"] as? Double, let se = row["se"] as? Double { result[name] = (estimate, se) }
        }
        return result
    }

    /// A probit of a 0/1 outcome derived from the m2 panel (`Workflows/m.yaml`).
    static func binaryChoice(margins: String) throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.copy(fixture: "models/m2_panel.csv", to: "data/panel.csv")
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              panel: {uses: io.csv@2, with: {path: data/panel.csv}}
              binary: {uses: data.derive@1, inputs: {table: panel.table}, with: {columns: ["d = ifelse(y > 0, 1, 0)"]}}
              model: {uses: models.probit@2, inputs: {table: binary.table}, with: {formula: "d ~ x1 + x2", margins: \(margins)}}
            """)
        return project
    }

    @Test("diff --margins puts a probit's average marginal effects beside an LPM's coefficients")
    func marginsAgainstLPM() throws {
        let project = try Self.binaryChoice(margins: "average")
        defer { project.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/m.yaml", "--quiet"], in: project.root).status == 0)
        let lpm = try PaperflowProcess.run(["run", "Workflows/m.yaml", "--set", "stages.model.uses=models.lpm@2", "--set", "stages.model.with.margins=none",
                                            "--name", "lpm", "--quiet"], in: project.root)
        #expect(lpm.status == 0, "\(lpm.stderr)")
        let json = try PaperflowProcess.run(["diff", "lock", "lpm", "--margins", "--format", "json"], in: project.root)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let fit = try #require((object["fits"] as? [[String: Any]])?.first)
        #expect((fit["estimator_before"] as? String)?.hasPrefix("probit AME") == true, "\(fit)")
        // The probit side's numbers are its AMEs, as the fit artifact records them.
        let artifact = try #require(try JSONSerialization.jsonObject(with: Data(try project.read("Artifacts/m/model/fit.json").utf8)) as? [String: Any])
        let effects = try #require((artifact["margins"] as? [String: Any])?["effects"] as? [[String: Any]])
        let rows = try #require(fit["estimates"] as? [[String: Any]])
        for effect in effects {
            let row = try #require(rows.first { $0["term"] as? String == effect["name"] as? String })
            #expect(((row["before"] as? [String: Any])?["estimate"] as? Double) == effect["estimate"] as? Double)
        }
        #expect(rows.contains { $0["term"] as? String == "x1" && $0["after"] is [String: Any] })
    }

    @Test("a --set matrix axis is one experiment with several members, each compared with the stage it split")
    func matrixExperiment() throws {
        let project = try Self.binaryChoice(margins: "none")
        defer { project.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/m.yaml", "--quiet"], in: project.root).status == 0)
        let lock = try project.read("Workflows/m.lock")
        let run = try PaperflowProcess.run(["run", "Workflows/m.yaml", "--set", "stages.model.matrix.uses=[models.probit@2, models.logit@2]",
                                            "--name", "estimators", "--quiet"], in: project.root)
        #expect(run.status == 0, "\(run.stderr)")
        // The probit member has the committed model's key: only the logit member ran.
        #expect(run.stdout.hasPrefix("m: 1 ran, 3 cached in "), "\(run.stdout)")
        #expect(try project.read("Workflows/m.lock") == lock)

        let list = try PaperflowProcess.run(["exp", "list"], in: project.root)
        #expect(list.stdout.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["estimators"])
        let show = try PaperflowProcess.run(["exp", "show", "estimators"], in: project.root)
        #expect(show.stdout.contains("\n  2 members: model[probit], model[logit]\n"), "\(show.stdout)")

        let json = try PaperflowProcess.run(["diff", "lock", "estimators", "--format", "json"], in: project.root)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let recipe = try #require(object["recipe"] as? [[String: Any]])
        #expect(recipe.map { "\($0["stage"] as? String ?? "?") \($0["change"] as? String ?? "?")" }
                == ["model removed", "model[logit] added", "model[probit] added"])
        #expect((recipe[1]["reasons"] as? [String]) == ["a member of model by its new matrix axis; compared with model"])
        // One grid: the probit member's fit is the committed model's, byte for byte.
        let fits = try #require(object["fits"] as? [[String: Any]])
        #expect(fits.map { $0["stage"] as? String } == ["model → model[logit]"])
        let probit = try Self.coefficients(project, "model/fit.json", workflow: "m")
        let logit = try Self.coefficients(project, "experiments/estimators/model[logit]/fit.json", workflow: "m")
        let rows = try #require(fits.first?["estimates"] as? [[String: Any]])
        #expect(rows.count == 3)
        for row in rows {
            let term = try #require(row["term"] as? String)
            #expect(((row["before"] as? [String: Any])?["estimate"] as? Double) == probit[term]?.0, "\(term)")
            #expect(((row["after"] as? [String: Any])?["estimate"] as? Double) == logit[term]?.0, "\(term)")
            #expect(((row["after"] as? [String: Any])?["se"] as? Double) == logit[term]?.1, "\(term)")
        }
    }

    /// a → b → c, d (d independent).
    static let chain = """
        workflow: p
        stages:
          a: {uses: shell@1, with: {cmd: "echo a > {outs.o}", outs: {o: a.txt}}}
          b: {uses: shell@1, inputs: {data: a.o}, with: {cmd: "cat {data} > {outs.o}; echo b >> {outs.o}", outs: {o: b.txt}}}
          c: {uses: shell@1, inputs: {data: b.o}, with: {cmd: "cat {data} > {outs.o}; echo c >> {outs.o}", outs: {o: c.txt}}}
          d: {uses: shell@1, with: {cmd: "echo d > {outs.o}", outs: {o: d.txt}}}
        """

    @Test("run W STAGE runs exactly the stage and its uncached ancestors; --until likewise; a partial run writes no lock")
    func partialRuns() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/p.yaml", Self.chain)
        let b = try PaperflowProcess.run(["run", "Workflows/p.yaml", "b", "--json"], in: project.root)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(ProcessTests.stages(b.stdout, event: "stageStarted") == ["a", "b"])
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("Workflows/p.lock").path))
        let record = try #require(try project.store().runRecordURLs().last)
        #expect(try RunRecord(contentsOf: record).stages.map(\.stage).sorted() == ["a", "b"])
        let until = try PaperflowProcess.run(["run", "Workflows/p.yaml", "--until", "c", "--json"], in: project.root)
        #expect(ProcessTests.stages(until.stdout, event: "stageStarted") == ["c"])
        #expect(ProcessTests.stages(until.stdout, event: "stageCached") == ["a", "b"])
        let unknown = try PaperflowProcess.run(["run", "Workflows/p.yaml", "bb"], in: project.root)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: workflow p has no stage 'bb'; did you mean 'b'?\n")
        let dry = try PaperflowProcess.run(["run", "Workflows/p.yaml", "--dry-run"], in: project.root)
        #expect(dry.stdout.hasSuffix("  1 to run, 0 pending, 3 cached\n"), "\(dry.stdout)")
    }

    @Test("--force on a deterministic stage reports the same bytes; on a nondeterministic one, the difference")
    func forcedReruns() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/f.yaml", """
            workflow: f
            stages:
              same: {uses: shell@1, with: {cmd: "echo same > {outs.o}", outs: {o: s.txt}}}
              clock: {uses: shell@1, with: {cmd: "date +%s%N > {outs.o}", outs: {o: t.txt}}}
            """)
        #expect(try PaperflowProcess.run(["run", "Workflows/f.yaml"], in: project.root).status == 0)
        let forced = try PaperflowProcess.run(["run", "Workflows/f.yaml", "--force", "same", "--force", "clock"], in: project.root)
        #expect(forced.status == 0)
        #expect(forced.stdout.contains("note:    same: forced rerun: same bytes as the cached result"))
        #expect(forced.stderr.contains("warning: clock: forced rerun: not reproducible — output 'o' was "))
        #expect(forced.stderr.contains("the stage gives different bytes for the same inputs"))
    }
}
