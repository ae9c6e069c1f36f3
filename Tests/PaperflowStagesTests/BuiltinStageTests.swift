import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

@Suite("Built-in stages")
struct BuiltinStageTests {
    /// The repository root, found from this file.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("the shipped hs-concordance workflow reproduces an independent count of the UNSD tables, then runs nothing")
    func hsConcordance() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        for folder in ["Sources/PaperflowStages/Trade/HS", "Workflows/scripts"] {
            try FileManager.default.createDirectory(at: project.root.appendingPathComponent(folder).deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Self.repository.appendingPathComponent(folder),
                                             to: project.root.appendingPathComponent(folder))
        }
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("Workflows/hs-concordance.yaml"),
                                         to: project.root.appendingPathComponent("Workflows/hs-concordance.yaml"))
        let first = try project.run("Workflows/hs-concordance.yaml", registry: BuiltinStages.registry)
        #expect(first.summary.succeeded)
        #expect(first.summary.ran.count == 7)
        let golden = try Fixtures.text("workflows/hs-concordance.md")
        #expect(try project.read("results/hs-concordance.md") == golden)
        #expect(try project.read("Artifacts/hs-concordance/summary/summary.md") == golden)
        let second = try project.run("Workflows/hs-concordance.yaml", registry: BuiltinStages.registry)
        #expect(second.summary.ran == [])
        #expect(second.summary.cached.count == 7)
    }

    @Test("io.file keeps the bytes, including leading zeros and CJK text, and tracks edits")
    func fileStage() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/codes.csv", "code,city\n010110,南京\n")
        try project.write("Workflows/f.yaml", """
            workflow: f
            stages:
              codes: {uses: io.file@1, with: {path: ./data/../data/codes.csv}}
            """)
        let run = try project.run("Workflows/f.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages[0].ingredients?.params["path"] == .string("data/codes.csv"))
        #expect(try project.read("Artifacts/f/codes/file") == "code,city\n010110,南京\n")
        usleep(10_000)
        try project.write("data/codes.csv", "code,city\n010110,苏州\n")
        let edited = try project.run("Workflows/f.yaml", registry: BuiltinStages.registry)
        #expect(edited.summary.ran == ["codes"])
        #expect(try project.read("Artifacts/f/codes/file") == "code,city\n010110,苏州\n")
    }

    @Test("a missing input file fails its stage with the path and where it was declared")
    func missingFile() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/f.yaml", "workflow: f\nstages:\n  codes: {uses: io.file@1, with: {path: data/none.csv}}\n")
        let run = try project.run("Workflows/f.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.failed == ["codes"])
        #expect(run.record.stages[0].message
                == "input file 'data/none.csv' does not exist (declared at Workflows/f.yaml:3:3); create it or fix the path")
    }

    @Test("shell: a failing command stores nothing and reports its exit status and output")
    func shellFailure() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/s.yaml", """
            workflow: s
            stages:
              bad:
                uses: shell@1
                with: {cmd: "echo partial > {outs.out}; echo 'no such column: value' >&2; exit 3", outs: {out: o.txt}}
            """)
        let run = try project.run("Workflows/s.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.failed == ["bad"])
        #expect(run.record.stages[0].message == "command exited with status 3; its output ends:\nno such column: value\n")
        #expect(try project.store().verify(repair: false).blobsChecked == 0)
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("Artifacts/s/bad").path))
        #expect(try project.read("Artifacts/s/bad.log") == "no such column: value\n")
    }

    @Test("shell: a CSV a Python script writes, declared {table: panel.csv}, is a table later stages bind; a malformed one fails at its line")
    func shellTable() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("scripts/panel.py", """
            import csv, sys
            with open(sys.argv[1], "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["product", "city", "value"])
                for i, city in enumerate(["Nanjing", "Suzhou", "Nanjing", "Wuxi"]):
                    w.writerow([f"{i:04d}", city, 1.5 * (i + 1)])
            """)
        try project.write("Workflows/s.yaml", """
            workflow: s
            stages:
              panel:
                uses: shell@1
                with: {cmd: "python3 scripts/panel.py {outs.panel}", deps: [scripts/panel.py], outs: {panel: {table: panel.csv, schema: {value: double}}}}
              by_city:
                uses: data.summarise@1
                inputs: {table: panel.panel}
                with: {by: [city], columns: ["value = sum(value)", "products = count(value)"]}
              broken:
                uses: shell@1
                with: {cmd: "printf 'a,b\\n1,2\\n3\\n' > {outs.t}", outs: {t: {table: t.csv}}}
            """)
        let run = try project.run("Workflows/s.yaml", registry: BuiltinStages.registry, keepGoing: true)
        #expect(run.record.stages.first { $0.stage == "by_city" }?.message == nil, "\(run.record.stages.compactMap(\.message))")
        let panel = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/s/panel/panel.pftable"))
        #expect((0..<panel.rowCount).map { panel["product"]![$0].description } == ["0000", "0001", "0002", "0003"])
        #expect(panel["value"]?.type == .double)
        let sums = try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/s/by_city/table.pftable"))
        #expect((0..<sums.rowCount).map { "\(sums["city"]![$0]) \(sums["value"]![$0])" } == ["Nanjing 6.0", "Suzhou 3.0", "Wuxi 6.0"])
        let broken = run.record.stages.first { $0.stage == "broken" }?.message ?? ""
        #expect(broken.hasPrefix("the command's table 't': {outs.t} (t.csv):3"), "\(broken)")
    }

    @Test("shell: a command that exits 0 without writing a declared output fails; a timeout kills it")
    func shellContract() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/s.yaml", """
            workflow: s
            stages:
              lazy: {uses: shell@1, with: {cmd: "true", outs: {out: o.txt}}}
              slow: {uses: shell@1, with: {cmd: "sleep 30; echo x > {outs.out}", outs: {out: o.txt}, timeout: 0.5}}
            """)
        let run = try project.run("Workflows/s.yaml", registry: BuiltinStages.registry, keepGoing: true)
        let messages = Dictionary(uniqueKeysWithValues: run.record.stages.map { ($0.stage, $0.message ?? "") })
        #expect(messages["lazy"] == "command exited 0 but did not write output 'out' (expected at {outs.out})")
        #expect(messages["slow"] == "command did not finish within its timeout of 0.5 s and was killed")
    }

    @Test("shell: declared environment variables and dependency files are part of the key")
    func shellKey() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("lookup.txt", "a\n")
        try project.write("Workflows/s.yaml", """
            workflow: s
            params: {greeting: hello}
            stages:
              env:
                uses: shell@1
                with:
                  cmd: "echo $GREETING > {outs.out}; cat {deps} >> {outs.out}"
                  env: {GREETING: "${params.greeting}"}
                  deps: [lookup.txt]
                  outs: {out: o.txt}
            """)
        _ = try project.run("Workflows/s.yaml", registry: BuiltinStages.registry)
        #expect(try project.read("Artifacts/s/env/o.txt") == "hello\na\n")
        let changedEnv = try project.run("Workflows/s.yaml", registry: BuiltinStages.registry, overrides: ["params.greeting=bye"])
        #expect(changedEnv.summary.ran == ["env"])
        usleep(10_000)
        try project.write("lookup.txt", "b\n")
        let changedDep = try project.run("Workflows/s.yaml", registry: BuiltinStages.registry, overrides: ["params.greeting=bye"])
        #expect(changedDep.summary.ran == ["env"])
        #expect(try project.read("Artifacts/s/env/o.txt") == "bye\nb\n")
    }

    @Test("placeholders are shell-quoted and unknown braces are left for the shell")
    func placeholders() {
        let expanded = ShellStage.expand("awk '{print $1}' {data} > {outs.out} {deps}",
                                         outputs: ["out": URL(fileURLWithPath: "/tmp/it's/out.txt")],
                                         data: ["/s/a", "/s/b"], deps: ["x y.csv"])
        #expect(expanded == "awk '{print $1}' '/s/a' '/s/b' > '/tmp/it'\\''s/out.txt' 'x y.csv'")
    }
}
