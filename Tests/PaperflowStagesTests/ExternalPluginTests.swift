import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// External plugins (`Plugins/NAME/plugin.yaml`) run as real child processes: the request and
/// reply protocol, the folder hash in the key, each way a plugin can fail with the exact message
/// the user sees, and that nothing a failed plugin wrote reaches the store.
@Suite("External plugins")
struct ExternalPluginTests {
    /// A plugin in `sh` whose behaviour the stage's `mode` parameter picks.
    static let misbehaving = """
        #!/bin/sh
        # $1 is the request; the output directory and the reply sit beside it.
        scratch=$(dirname "$1")
        out="$scratch/out"
        mode=$(sed -n 's/.*"mode": *"\\([a-z-]*\\)".*/\\1/p' "$1")
        case "$mode" in
          ok) printf 'hello\\n' > "$out/greeting.txt"
              printf '{"outputs": {"greeting": "greeting.txt"}, "messages": ["said hello"], "diagnostics": [{"level": "warning", "message": "mind the gap"}]}' > "$scratch/reply.json" ;;
          exit) echo "cannot read the table" >&2; exit 4 ;;
          sleep) printf 'half a gree' > "$out/greeting.txt"; sleep 30 ;;
          no-output) printf '{"outputs": {}}' > "$scratch/reply.json" ;;
          no-reply) printf 'hello\\n' > "$out/greeting.txt" ;;
          escape) printf 'hello\\n' > "$out/greeting.txt"; printf 'stray' > "$out/../stray.txt"; printf '{}' > "$scratch/reply.json" ;;
          escape-reply) printf '{"outputs": {"greeting": "../request.json"}}' > "$scratch/reply.json" ;;
          malformed) printf 'hello\\n' > "$out/greeting.txt"
                     printf '{"outputs": {\\n  "greeting": "greeting.txt",\\n}}' > "$scratch/reply.json" ;;
          error) printf '{"diagnostics": [{"level": "error", "message": "column firm is missing"}]}' > "$scratch/reply.json"; exit 2 ;;
        esac
        """

    static let manifest = """
        id: test.misbehave
        version: 1
        summary: Does what its mode says.
        command: [sh, plugin.sh]
        timeout: 2
        outputs:
          greeting: {type: text, file: greeting.txt}
        params:
          mode: {choices: [ok, exit, sleep, no-output, no-reply, escape, escape-reply, malformed, error], required: true}
        """

    static func project(mode: String) throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.write("Plugins/misbehave/plugin.yaml", manifest)
        try project.write("Plugins/misbehave/plugin.sh", misbehaving)
        _ = try project.writeWorkflow("p", stages: """
              hello:
                uses: test.misbehave@1
                with: {mode: \(mode)}
            """)
        return project
    }

    /// Runs `mode`; returns the failure message with the run's scratch directory written `SCRATCH`.
    static func failure(mode: String) throws -> (message: String, project: TemporaryProject) {
        let project = try project(mode: mode)
        let run = try project.run("Workflows/p.yaml", registry: try ProjectPlugins.registry(projectRoot: project.root))
        #expect(run.summary.failed == ["hello"])
        let message = run.events.compactMap { event -> String? in
            if case let .stageFailed(_, message) = event.event { return message }
            return nil
        }.first ?? ""
        let scratch = try project.store().temporaryDirectory.appendingPathComponent("\(run.summary.runID)/hello").path
        // Nothing the plugin wrote reached the store: no blob, no action record.
        let store = try project.store()
        let blobs = FileManager.default.enumerator(atPath: store.casDirectory.path)?.allObjects.compactMap { $0 as? String }
            .filter { $0.count > 3 } ?? []
        #expect(blobs.isEmpty, "blobs in the store after a failed plugin: \(blobs)")
        return (message.replacingOccurrences(of: scratch, with: "SCRATCH"), project)
    }

    @Test("a plugin's request, reply, messages and diagnostics; a rerun is cached; editing the script reruns it")
    func protocolAndKey() throws {
        let project = try Self.project(mode: "ok")
        defer { project.cleanUp() }
        let registry = try ProjectPlugins.registry(projectRoot: project.root)
        let first = try project.run("Workflows/p.yaml", registry: registry)
        #expect(first.summary.ran == ["hello"])
        #expect(try project.read("Artifacts/p/hello/greeting.txt") == "hello\n")
        let shown = first.events.compactMap { event -> String? in
            switch event.event {
            case let .note(stage, message): return "note \(stage): \(message)"
            case let .warning(stage?, message): return "warning \(stage): \(message)"
            default: return nil
            }
        }
        #expect(shown == ["warning hello: [test.misbehave] mind the gap", "note hello: [test.misbehave] said hello"])
        let again = try project.run("Workflows/p.yaml", registry: try ProjectPlugins.registry(projectRoot: project.root))
        #expect(again.summary.cached == ["hello"])

        // A comment is an edit: the folder's hash, and so the key, changes.
        try project.write("Plugins/misbehave/plugin.sh", Self.misbehaving + "\n# reviewed\n")
        let edited = try ProjectPlugins.registry(projectRoot: project.root)
        #expect(edited.descriptor(for: "test.misbehave")?.implementationDigest != registry.descriptor(for: "test.misbehave")?.implementationDigest)
        let third = try project.run("Workflows/p.yaml", registry: edited)
        #expect(third.summary.ran == ["hello"])
        let why = try #require(third.record.stages.first { $0.stage == "hello" }?.ingredients)
        #expect(why.implementation == edited.descriptor(for: "test.misbehave")!.implementationDigest)
    }

    @Test("non-zero exit: the status and the captured output")
    func nonZeroExit() throws {
        let (message, project) = try Self.failure(mode: "exit")
        defer { project.cleanUp() }
        #expect(message == "plugin test.misbehave exited with status 4; its output ends:\ncannot read the table\n")
    }

    @Test("an error diagnostic in the reply of a failing plugin is part of the message")
    func replyError() throws {
        let (message, project) = try Self.failure(mode: "error")
        defer { project.cleanUp() }
        #expect(message == "plugin test.misbehave exited with status 2: column firm is missing and printed nothing")
    }

    @Test("timeout: killed, and its half-written output never reaches the store")
    func timeout() throws {
        let started = Date()
        let (message, project) = try Self.failure(mode: "sleep")
        defer { project.cleanUp() }
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(message == "plugin test.misbehave did not finish within its timeout of 2 s (timeout: in Plugins/misbehave/plugin.yaml) and was killed and printed nothing")
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("Artifacts/p/hello/greeting.txt").path))
    }

    @Test("missing output")
    func missingOutput() throws {
        let (message, project) = try Self.failure(mode: "no-output")
        defer { project.cleanUp() }
        #expect(message == "plugin test.misbehave exited 0 but wrote no output 'greeting': expected greeting.txt in its output directory, or a path under the reply's outputs")
    }

    @Test("missing reply")
    func missingReply() throws {
        let (message, project) = try Self.failure(mode: "no-reply")
        defer { project.cleanUp() }
        #expect(message == "plugin test.misbehave exited 0 but wrote no reply; write JSON to the path in the request's 'reply' (SCRATCH/reply.json)")
    }

    @Test("a write beside the output directory, and a reply naming a file outside it")
    func escapingWrites() throws {
        let (beside, first) = try Self.failure(mode: "escape")
        defer { first.cleanUp() }
        #expect(beside == "plugin test.misbehave wrote outside its output directory: SCRATCH/stray.txt; "
                + "write outputs under the request's output_directory and temporary files in the working directory")
        let (named, second) = try Self.failure(mode: "escape-reply")
        defer { second.cleanUp() }
        #expect(named == "plugin test.misbehave wrote outside its output directory: output 'greeting' is SCRATCH/request.json; "
                + "write outputs under the request's output_directory")
    }

    @Test("a malformed reply is reported at its line and column")
    func malformedReply() throws {
        let (message, project) = try Self.failure(mode: "malformed")
        defer { project.cleanUp() }
        #expect(message == "plugin test.misbehave wrote a malformed reply: SCRATCH/reply.json:3:1: expected a key in double quotes, found '}'")
    }

    @Test("manifest mistakes are diagnostics at their line and column; a built-in's id is refused")
    func manifestDiagnostics() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Plugins/bad/plugin.yaml", """
            id: Bad Plugin
            version: 0
            comand: [run]
            outputs:
              fit: {type: jsn}
            params:
              n: {type: integer, default: many}
            """)
        try project.write("Plugins/clash/plugin.yaml", "id: models.probit\nversion: 1\ncommand: [run]\noutputs: {fit: json}\n")
        let diagnostics: [String]
        do {
            _ = try ProjectPlugins.registry(projectRoot: project.root)
            diagnostics = []
        } catch let error as DiagnosticsError {
            diagnostics = error.diagnostics.map(\.headline)
        }
        #expect(diagnostics == [
            "Plugins/bad/plugin.yaml:1:1: error: the plugin manifest has no 'command'",
            "Plugins/bad/plugin.yaml:1:5: error: id must be lowercase words joined by dots or dashes, found 'Bad Plugin'",
            "Plugins/bad/plugin.yaml:2:10: error: version must be a positive integer, found '0'",
            "Plugins/bad/plugin.yaml:3:1: error: unknown field 'comand' in a plugin manifest; did you mean 'command'?",
            "Plugins/bad/plugin.yaml:5:15: error: outputs.fit: type must be one of table, json, text, any, found 'jsn'",
            "Plugins/bad/plugin.yaml:7:31: error: params.n: the default does not have the declared type: expected an integer, found the string 'many'",
        ])
        try FileManager.default.removeItem(at: project.root.appendingPathComponent("Plugins/bad"))
        #expect(throws: DiagnosticsError.self) { try ProjectPlugins.registry(projectRoot: project.root) }
        do { _ = try ProjectPlugins.registry(projectRoot: project.root) } catch let error as DiagnosticsError {
            #expect(error.diagnostics.map(\.headline) == ["Plugins/clash/plugin.yaml:1:5: error: plugin id 'models.probit' is the id of a built-in stage"])
        }
    }

    @Test("a table crosses the boundary as CSV both ways and comes back the same table")
    func csvTables() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/t.csv", "code,city,value\n0101,北京,1.5\n0203,上海,\n0101,上海,-2\n")
        try project.write("Plugins/copy/plugin.yaml", """
            id: test.copy
            version: 1
            command: [sh, copy.sh]
            inputs:
              table: {type: table, format: csv}
            outputs:
              table: {type: table, format: csv}
            """)
        try project.write("Plugins/copy/copy.sh", """
            scratch=$(dirname "$1")
            cp "$scratch/inputs/table.csv" "$scratch/out/table.csv"
            printf '{}' > "$scratch/reply.json"
            """)
        _ = try project.writeWorkflow("p", stages: """
              read:
                uses: io.csv@2
                with: {path: data/t.csv, schema: {code: string}}
              copy:
                uses: test.copy@1
                inputs: {table: read.table}
            """)
        let run = try project.run("Workflows/p.yaml", registry: try ProjectPlugins.registry(projectRoot: project.root))
        #expect(run.summary.succeeded)
        let original = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/p/read/table.pftable"))
        let copied = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/p/copy/table.pftable"))
        #expect(copied.names == ["code", "city", "value"])
        #expect(CSVWriter.write(copied, delimiter: UInt8(ascii: ",")) == CSVWriter.write(original, delimiter: UInt8(ascii: ",")))
        #expect(String(decoding: CSVWriter.write(copied, delimiter: UInt8(ascii: ",")), as: UTF8.self).contains("0101,北京,1.5"))
    }

    /// A project with the shipped plugin `name` copied in, its environment folder shared with the
    /// checkout's `Artifacts/plugins` (so the venv is made once per machine, not per test).
    static func projectWithShippedPlugin(_ name: String, data: String) throws -> TemporaryProject {
        let project = try TemporaryProject()
        let repository = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.createDirectory(at: project.root.appendingPathComponent("Plugins"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Plugins/\(name)"),
                                         to: project.root.appendingPathComponent("Plugins/\(name)"))
        let environments = repository.appendingPathComponent("Artifacts/plugins")
        try FileManager.default.createDirectory(at: environments, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: project.root.appendingPathComponent("Artifacts"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: project.root.appendingPathComponent("Artifacts/plugins"), withDestinationURL: environments)
        try project.copy(fixture: "models/\(data)", to: "data/\(data)")
        return project
    }

    static func coefficients(_ project: TemporaryProject) throws -> [String: [String: ParamValue]] {
        let fit = try JSONDecoder().decode(ParamValue.self, from: Data(try project.read("Artifacts/m/model/fit.json").utf8))
        return ModelStageTests.coefficients(fit)
    }

    @Test("liu-zhu-2021's probit: the built-in and the statsmodels plugin (a real Python venv) agree within 1e-6",
          .timeLimit(.minutes(15)))
    func statsmodelsProbit() throws {
        let project = try Self.projectWithShippedPlugin("statsmodels-probit", data: "m1_100k.csv")
        defer { project.cleanUp() }
        _ = try project.writeWorkflow("m", stages: """
              data:
                uses: io.csv@2
                with: {path: data/m1_100k.csv}
              model:
                uses: models.probit@2
                inputs: {table: data.table}
                with: {formula: "export ~ density_firm*density_city + ln_tradevalue + ln_newexport | year + hs2", vcov: {cluster: [firm]}, convention: statsmodels}
            """)
        let registry = try ProjectPlugins.registry(projectRoot: project.root)
        #expect(try project.run("Workflows/m.yaml", registry: registry).summary.succeeded)
        let builtin = try Self.coefficients(project)
        // The swap is one line: the same stage with another `uses:`.
        let swapped = try project.run("Workflows/m.yaml", registry: registry, overrides: ["stages.model.uses=statsmodels.probit@1"])
        #expect(swapped.summary.ran == ["model"], "\(swapped.events.map(\.event))")
        let plugin = try Self.coefficients(project)
        #expect(Set(plugin.keys) == Set(builtin.keys))
        #expect(builtin.count == 116)
        for (name, row) in builtin {
            let estimate = row["estimate"]!.doubleValue!, se = row["se"]!.doubleValue!
            #expect(abs(plugin[name]!["estimate"]!.doubleValue! - estimate) < 1e-6, "\(name)")
            #expect(abs(plugin[name]!["se"]!.doubleValue! / se - 1) < 1e-6, "\(name)")
        }
        // And back: the built-in's outputs are still in the store.
        let back = try project.run("Workflows/m.yaml", registry: registry)
        #expect(back.summary.cached == ["data", "model"])
    }

    @Test("an-fu-2026's two-way fixed effects: models.fe (sandwich convention) and the R plugin agree within 1e-8",
          .timeLimit(.minutes(10)))
    func rFeols() throws {
        _ = try ExternalTool.require("Rscript")
        let project = try Self.projectWithShippedPlugin("fixest-feols", data: "m2_panel.csv")
        defer { project.cleanUp() }
        _ = try project.writeWorkflow("m", stages: """
              data:
                uses: io.csv@2
                with: {path: data/m2_panel.csv}
              model:
                uses: fixest.feols@1
                inputs: {table: data.table}
                with: {formula: "y ~ x1 + x2 + x3 + x4 + x5 + x6 | province + year", vcov: {cluster: [province]}}
            """)
        let registry = try ProjectPlugins.registry(projectRoot: project.root)
        let run = try project.run("Workflows/m.yaml", registry: registry)
        #expect(run.summary.succeeded, "\(run.events.map(\.event))")
        let plugin = try Self.coefficients(project)
        #expect(try project.read("Artifacts/m/model/fit.json").contains("\"implementation\""))
        _ = try project.run("Workflows/m.yaml", registry: registry,
                            overrides: ["stages.model.uses=models.fe@2", "stages.model.with.convention=sandwich"])
        let builtin = try Self.coefficients(project)
        #expect(builtin.keys.sorted() == ["x1", "x2", "x3", "x4", "x5", "x6"])
        for (name, row) in builtin {
            #expect(ModelStageTests.relative(plugin[name]!["estimate"]!.doubleValue!, row["estimate"]!.doubleValue!) < 1e-8, "\(name)")
            #expect(ModelStageTests.relative(plugin[name]!["se"]!.doubleValue!, row["se"]!.doubleValue!) < 1e-8, "\(name)")
            #expect(abs(plugin[name]!["p"]!.doubleValue! - row["p"]!.doubleValue!) < 1e-8, "\(name)")
        }
    }
}
