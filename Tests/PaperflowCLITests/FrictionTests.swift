import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

/// The small frictions of daily use (issue 23, point 4), each with its exact message.
@Suite("Daily frictions", .serialized)
struct FrictionTests {
    static func project(_ files: [String: String]) throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.write("data/d.csv", "g,x,y\n1,1,2\n1,2,3\n2,3,5\n2,4,4\n3,5,7\n3,6,5\n")
        for (path, text) in files { try project.write(path, text) }
        return project
    }

    @Test("stdout to a file is buffered, yet a merged log keeps the order of stdout and stderr lines")
    func mergedLogOrder() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        var stages = ""
        for i in 0..<400 { stages += "  a_stage_with_a_rather_long_name_\(i): {uses: shell@1, with: {cmd: 'echo \(i) > {outs.o}', outs: {o: c\(i).txt}}}\n" }
        try project.write("Workflows/w.yaml", "workflow: w\nstages:\n" + stages)
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml", "-j", "1"], in: project.root).status == 0)
        try project.write("Workflows/w.yaml", "workflow: w\nstages:\n" + stages
                          + "  bad: {uses: shell@1, with: {cmd: 'echo oops >&2; exit 3', outs: {o: bad.txt}}}\n")
        let log = project.root.appendingPathComponent("merged.log")
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "cd \"$0\" && exec \"$1\" run Workflows/w.yaml -j 1 >\"$2\" 2>&1", project.root.path,
                           Fixtures.paperflowExecutable.path, log.path]
        try shell.run()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 1)
        let lines = try project.read("merged.log").split(separator: "\n").map(String.init)
        // 400 cached lines (more than the 16 KiB buffer holds: it is written out on the way),
        // then the failing stage's start, its failure on stderr, and the summary, in that order.
        #expect(lines.dropFirst().prefix(400) == ArraySlice((0..<400).map { "cached   a_stage_with_a_rather_long_name_\($0)" }))
        let rest = Array(lines.dropFirst(401))
        let started = rest.firstIndex { $0.hasPrefix("run      bad (shell@1)") }
        let failed = rest.firstIndex { $0.hasPrefix("FAILED   bad: ") }
        let summary = rest.firstIndex { $0.hasPrefix("w: 0 ran, 400 cached, 1 failed in ") }
        #expect(started == 0, "\(rest)")
        #expect(started != nil && failed != nil && summary != nil && started! < failed! && failed! < summary!, "\(rest)")
    }

    @Test("a loading problem is printed once and counted once")
    func loaderErrorOnce() throws {
        let project = try Self.project(["Workflows/k.yaml": "workflow: k\nstages:\n  a: {uses: shell@1, with: {cmd: \"true\"}, colour: red}\n"])
        defer { project.cleanUp() }
        let plan = try PaperflowProcess.run(["plan", "Workflows/k.yaml"], in: project.root)
        #expect(plan.status == 1)
        #expect(plan.stderr == """
            Workflows/k.yaml:3:43: error: unknown key 'colour' in stage 'a'
              hint: a stage has the keys uses, inputs, with, matrix, description, confidential, data, label, resources
            1 error found; nothing was run

            """)
    }

    @Test("uses without @N is an error that suggests the current version")
    func usesWithoutVersion() throws {
        let project = try Self.project(["Workflows/u.yaml": "workflow: u\nstages:\n  d: {uses: io.csv, with: {path: data/d.csv}}\n"])
        defer { project.cleanUp() }
        let plan = try PaperflowProcess.run(["plan", "Workflows/u.yaml"], in: project.root)
        #expect(plan.stderr == """
            Workflows/u.yaml:3:13: error: stage 'd' uses 'io.csv' without a major version
              hint: write 'io.csv@2': the @N pins the ports and parameters the workflow was written for
            1 error found; nothing was run

            """)
    }

    @Test("a matrix member's name unquoted in a flow list is explained, with the quoting to write")
    func bracketsInFlowList() throws {
        let project = try Self.project(["Workflows/b.yaml": "workflow: b\nstages:\n  t: {uses: tables.regression@1, inputs: {fits: [model[1,probit].fit]}}\n"])
        defer { project.cleanUp() }
        let plan = try PaperflowProcess.run(["plan", "Workflows/b.yaml"], in: project.root)
        #expect(plan.stderr.hasPrefix("Workflows/b.yaml:3:55: error: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence at 3:49: "
            + "a matrix stage's name has brackets, which YAML reads as a list\n  hint: quote the reference inside [ ], e.g. [\"model[1,probit].fit\"]\n"), "\(plan.stderr)")
    }

    @Test("did you mean is the same whatever order the names come in")
    func deterministicSuggestion() {
        #expect(NameSuggestion.nearest(to: "ab", in: ["ac", "aa"]) == "aa")
        #expect(NameSuggestion.nearest(to: "ab", in: ["aa", "ac"]) == "aa")
        #expect(NameSuggestion.nearest(to: "modle", in: Set(["models", "mode1", "model"])) == "model")
        for _ in 0..<20 { #expect(NameSuggestion.nearest(to: "xb", in: Set(["xa", "xc", "xd", "xe"])) == "xa") }
    }

    @Test("vcov as fixest writes it: hetero is hc1, {cluster: g} is {cluster: [g]}; an unknown form lists the forms")
    func vcovSpellings() throws {
        let project = try Self.project(["Workflows/s.yaml": """
            workflow: s
            stages:
              d: {uses: io.csv@2, with: {path: data/d.csv}}
              hc1: {uses: models.ols@2, inputs: {table: d.table}, with: {formula: "y ~ x", vcov: hc1}}
              hetero: {uses: models.ols@2, inputs: {table: d.table}, with: {formula: "y ~ x", vcov: hetero}}
              listed: {uses: models.ols@2, inputs: {table: d.table}, with: {formula: "y ~ x", vcov: {cluster: [g]}}}
              single: {uses: models.ols@2, inputs: {table: d.table}, with: {formula: "y ~ x", vcov: {cluster: g}}}
            """])
        defer { project.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/s.yaml", "--quiet"], in: project.root).status == 0)
        func ses(_ stage: String) throws -> [Double] {
            let object = try JSONSerialization.jsonObject(with: Data(try project.read("Artifacts/s/\(stage)/fit.json").utf8)) as? [String: Any]
            return ((object?["coefficients"] as? [[String: Any]]) ?? []).compactMap { $0["se"] as? Double }
        }
        #expect(try ses("hetero") == ses("hc1") && !(try ses("hc1")).isEmpty)
        #expect(try ses("single") == ses("listed") && !(try ses("listed")).isEmpty)
        try project.write("Workflows/r.yaml", "workflow: r\nstages:\n  d: {uses: io.csv@2, with: {path: data/d.csv}}\n"
                          + "  m: {uses: models.ols@2, inputs: {table: d.table}, with: {formula: \"y ~ x\", vcov: robust}}\n")
        let bad = try PaperflowProcess.run(["plan", "Workflows/r.yaml"], in: project.root)
        #expect(bad.stderr.contains("Workflows/r.yaml:4:84: error: parameter 'vcov' of models.ols: expected one of classical | iid | hc1 | HC1 | hetero"))
    }

    @Test("show: --head, --columns, --summary, and STAGE.FILE names")
    func show() throws {
        let project = try Self.project(["Workflows/w.yaml": "workflow: w\nstages:\n  d: {uses: io.csv@2, with: {path: data/d.csv}}\n"])
        defer { project.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml", "--quiet"], in: project.root).status == 0)
        let head = try PaperflowProcess.run(["show", "Workflows/w.yaml", "d.table.pftable", "--head", "2", "--columns", "y,g"], in: project.root)
        #expect(head.stdout == "y,g\n2,1\n3,1\n", "\(head.stderr)")
        let summary = try PaperflowProcess.run(["show", "Workflows/w.yaml", "d.table", "--summary"], in: project.root)
        #expect(summary.stdout == """
            6 rows, 3 columns
            column,type,missing,min,max,mean,distinct
            g,int64,0,1,3,2,
            x,int64,0,1,6,3.5,
            y,int64,0,2,7,4.33333,

            """)
        let missing = try PaperflowProcess.run(["show", "Workflows/w.yaml", "d.table", "--columns", "z"], in: project.root)
        #expect(missing.stderr == "error: d.table has no column 'z'; it has g, x, y\n")
    }

    @Test("after a failure, a stage that does not depend on it and is cached is reported cached, not skipped")
    func cachedNotSkipped() throws {
        let workflow = """
            workflow: c
            params: {status: 0}
            stages:
              bad: {uses: shell@1, with: {cmd: "echo x > {outs.o}; exit ${params.status:raw}", outs: {o: o.txt}}}
              figure: {uses: shell@1, with: {cmd: "echo figure > {outs.o}", outs: {o: f.txt}}}
              after: {uses: shell@1, inputs: {data: bad.o}, with: {cmd: "cat {data} > {outs.o}", outs: {o: a.txt}}}
            """
        let project = try Self.project(["Workflows/c.yaml": workflow])
        defer { project.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/c.yaml", "--quiet"], in: project.root).status == 0)
        try project.write("Workflows/c.yaml", workflow.replacingOccurrences(of: "status: 0", with: "status: 4"))
        let run = try PaperflowProcess.run(["run", "Workflows/c.yaml", "-j", "1"], in: project.root)
        #expect(run.status == 1)
        #expect(run.stdout.contains("cached   figure"), "\(run.stdout)")
        #expect(!run.stdout.contains("skipped  figure"))
        #expect(run.stdout.contains("skipped  after: an upstream or earlier stage failed"))
        #expect(run.stdout.contains("c: 0 ran, 1 cached, 1 failed, 1 skipped"))
    }
}
