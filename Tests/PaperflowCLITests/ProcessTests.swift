import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

/// Behaviour only a real process shows: SIGKILL, Ctrl-C, two runs on one store, exit codes.
@Suite("paperflow as a process", .serialized)
struct ProcessTests {
    /// quick → slow → after; `slow` sleeps while `slow.flag` exists (the flag is not a declared
    /// input, so removing it does not change any key).
    static let slowWorkflow = """
        workflow: k
        stages:
          quick:
            uses: shell@1
            with: {cmd: "echo quick > {outs.out}", outs: {out: q.txt}}
          slow:
            uses: shell@1
            inputs: {data: quick.out}
            with:
              cmd: "cat {data} > {outs.out}; while [ -f slow.flag ]; do sleep 0.05; done; echo slow >> {outs.out}"
              outs: {out: s.txt}
          after:
            uses: shell@1
            inputs: {data: slow.out}
            with: {cmd: "cat {data} > {outs.out}; echo after >> {outs.out}", outs: {out: a.txt}}
        """

    static func events(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func stages(_ output: String, event: String) -> [String] {
        events(output).filter { $0["event"] as? String == event }.compactMap { $0["stage"] as? String }
    }

    @Test("SIGKILL in the middle of a stage leaves the store consistent; the next run redoes only what did not finish")
    func sigkill() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/k.yaml", Self.slowWorkflow)
        try project.write("slow.flag", "")
        let run = try PaperflowProcess(["run", "Workflows/k.yaml", "--json", "-j", "1"], in: project.root)
        // Wait until `slow` has written part of its output in its scratch space.
        let started = PaperflowProcess.waitUntil {
            let tmp = project.root.appendingPathComponent("Artifacts/tmp")
            let runs = (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []
            return runs.contains { FileManager.default.fileExists(atPath: tmp.appendingPathComponent("\($0)/slow/out/s.txt").path) }
        }
        #expect(started)
        run.send(SIGKILL)
        #expect(run.wait() == SIGKILL)
        #expect(Self.stages(run.stdout, event: "stageFinished") == ["quick"])

        // The orphaned command is still running; it must not hold the store lock.
        let verify = try PaperflowProcess.run(["cache", "verify"], in: project.root, timeout: 30)
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("store is consistent"))
        #expect(verify.stdout.contains("checked 1 blobs and 1 action records"))

        try FileManager.default.removeItem(at: project.root.appendingPathComponent("slow.flag"))
        let resumed = try PaperflowProcess.run(["run", "Workflows/k.yaml", "--json"], in: project.root)
        #expect(resumed.status == 0)
        #expect(Self.stages(resumed.stdout, event: "stageCached") == ["quick"])
        #expect(Self.stages(resumed.stdout, event: "stageFinished") == ["slow", "after"])
        #expect(try project.read("Artifacts/k/after/a.txt") == "quick\nslow\nafter\n")
        // The killed run's record has no footer; the resumed one does.
        let records = try project.store().runRecordURLs().map { try RunRecord(contentsOf: $0) }
        #expect(records.count == 2)
        #expect(records[0].footer == nil)
        #expect(records[0].stages(.ran) == ["quick"])
        #expect(records[1].footer?.succeeded == true)
    }

    @Test("Ctrl-C stops the running command, stores nothing half-done, and exits 130")
    func interrupt() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/k.yaml", Self.slowWorkflow)
        try project.write("slow.flag", "")
        let run = try PaperflowProcess(["run", "Workflows/k.yaml", "--json"], in: project.root)
        #expect(PaperflowProcess.waitUntil { Self.stages(run.stdout, event: "stageStarted").contains("slow") })
        run.send(SIGINT)
        #expect(run.wait() == 130)
        #expect(run.stderr.contains("interrupted"))
        let finished = Self.events(run.stdout).first { $0["event"] as? String == "runFinished" }
        #expect(finished?["cancelled"] as? [String] == ["slow", "after"])
        let record = try RunRecord(contentsOf: try project.store().runRecordURLs()[0])
        #expect(record.stages(.cancelled) == ["slow", "after"])
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("Artifacts/k/slow").path))
        #expect(try PaperflowProcess.run(["cache", "verify"], in: project.root).status == 0)

        try FileManager.default.removeItem(at: project.root.appendingPathComponent("slow.flag"))
        let resumed = try PaperflowProcess.run(["run", "Workflows/k.yaml", "--json"], in: project.root)
        #expect(resumed.status == 0)
        #expect(Self.stages(resumed.stdout, event: "stageFinished") == ["slow", "after"])
    }

    @Test("two concurrent runs on one store: the second waits for the first, says who holds the lock, and finds everything cached")
    func concurrentRuns() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/k.yaml", Self.slowWorkflow)
        try project.write("slow.flag", "")
        let first = try PaperflowProcess(["run", "Workflows/k.yaml", "--json"], in: project.root)
        #expect(PaperflowProcess.waitUntil { Self.stages(first.stdout, event: "stageStarted").contains("slow") })
        let second = try PaperflowProcess(["run", "Workflows/k.yaml", "--json"], in: project.root)
        #expect(PaperflowProcess.waitUntil { second.stderr.contains("waiting for the store lock held by pid \(first.pid)") })
        let refused = try PaperflowProcess.run(["run", "Workflows/k.yaml", "--no-wait"], in: project.root)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is locked by pid \(first.pid)"))
        // The message names flags that exist.
        #expect(refused.stderr.contains("wait for it to finish and try again ('paperflow run' waits by itself unless given --no-wait)"))
        try FileManager.default.removeItem(at: project.root.appendingPathComponent("slow.flag"))
        #expect(first.wait() == 0)
        #expect(second.wait() == 0)
        #expect(Set(Self.stages(first.stdout, event: "stageFinished")) == ["quick", "slow", "after"])
        #expect(Set(Self.stages(second.stdout, event: "stageCached")) == ["quick", "slow", "after"])
        #expect(try PaperflowProcess.run(["cache", "verify"], in: project.root).status == 0)
    }

    @Test("validation errors print clang-style with hints on stderr and exit 1 without running anything")
    func diagnosticsOnStderr() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/five-errors.yaml", try Fixtures.text("diagnostics/five-errors.yaml"))
        let result = try PaperflowProcess.run(["run", "Workflows/five-errors.yaml"], in: project.root)
        #expect(result.status == 1)
        #expect(result.stdout == "")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.filter { !$0.hasPrefix("  hint:") }.dropLast()
                == (try Fixtures.text("diagnostics/five-errors.expected")).split(separator: "\n").map(String.init))
        #expect(lines.last == "5 errors found; nothing was run")
        #expect(lines.filter { $0.hasPrefix("  hint:") }.count == 5)
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("Artifacts/runs").path))
    }

    @Test("plan and why explain a parameter change; status reports it")
    func explanations() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/in.txt", "hello\n")
        try project.write("Workflows/w.yaml", """
            workflow: w
            params: {word: "NO"}
            stages:
              raw: {uses: io.file@1, with: {path: data/in.txt}}
              upper:
                uses: shell@1
                inputs: {data: raw.file}
                with: {cmd: "tr a-z A-Z < {data} > {outs.out}; echo ${params.word} >> {outs.out}", outs: {out: u.txt}}
              export:
                uses: io.export@1
                inputs: {artifact: upper.out}
                with: {to: results/upper.txt}
            """)
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml"], in: project.root).status == 0)
        #expect(try project.read("results/upper.txt") == "HELLO\nNO\n")
        let plan = try PaperflowProcess.run(["plan", "Workflows/w.yaml", "--set", "params.word=yes"], in: project.root)
        #expect(plan.stdout == """
            w (Workflows/w.yaml):
              cached   raw
              run      upper (shell@1)
                         parameter 'cmd' changed: "tr a-z A-Z < {data} > {outs.out}; echo 'NO' >> {outs.out}" → "tr a-z A-Z < {data} > {outs.out}; echo 'yes' >> {outs.out}"
              pending  export: after upper; skipped if their outputs come out unchanged
              1 to run, 1 pending, 1 cached

            """)
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml", "--set", "params.word=yes"], in: project.root).status == 0)
        let why = try PaperflowProcess.run(["why", "Workflows/w.yaml", "upper", "--set", "params.word=yes"], in: project.root)
        #expect(why.stdout.contains("it ran because, since run"))
        #expect(why.stdout.contains("  parameter 'cmd' changed: \"tr a-z A-Z < {data} > {outs.out}; echo 'NO' >> {outs.out}\" → "))
        #expect(why.stdout.contains("  input data ← raw.file  sha256:"))
        // Editing the input file: status names the file and the stage.
        usleep(10_000)
        try project.write("data/in.txt", "world\n")
        let status = try PaperflowProcess.run(["status", "Workflows/w.yaml", "--set", "params.word=yes"], in: project.root)
        #expect(status.stdout.contains("w: 3 of 3 stages to run"))
        #expect(status.stdout.contains("  stale    raw: file 'data/in.txt' changed"))
        // The --set run was an experiment: the export still holds the workflow as written. A
        // deleted export is restored by the next run without recomputing anything.
        #expect(try project.read("results/upper.txt") == "HELLO\nNO\n")
        try FileManager.default.removeItem(at: project.root.appendingPathComponent("results/upper.txt"))
        try project.write("data/in.txt", "hello\n")
        let rerun = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json"], in: project.root)
        #expect(Self.stages(rerun.stdout, event: "stageFinished") == [])
        #expect(try project.read("results/upper.txt") == "HELLO\nNO\n")
    }

    @Test("stages lists the built-ins and documents one")
    func stagesCommand() throws {
        let list = try PaperflowProcess.run(["stages"], in: FileManager.default.temporaryDirectory)
        #expect(list.status == 0)
        for id in ["io.file@1", "io.export@1", "shell@1"] { #expect(list.stdout.contains(id)) }
        let one = try PaperflowProcess.run(["stages", "shell"], in: FileManager.default.temporaryDirectory)
        #expect(one.stdout.contains("  cmd: a string, required — the command line"))
        let typo = try PaperflowProcess.run(["stages", "shel"], in: FileManager.default.temporaryDirectory)
        #expect(typo.status == 1)
        #expect(typo.stderr == "error: unknown plugin 'shel'; did you mean 'shell'?\n")
        // The listing's id@version form documents the same plugin; another version is refused.
        let versioned = try PaperflowProcess.run(["stages", "shell@1"], in: FileManager.default.temporaryDirectory)
        #expect(versioned.status == 0 && versioned.stdout == one.stdout)
        let wrong = try PaperflowProcess.run(["stages", "shell@2"], in: FileManager.default.temporaryDirectory)
        #expect(wrong.status == 1)
        #expect(wrong.stderr == "error: shell is at version 1, not 2; 'paperflow stages shell@1' documents it\n")
    }
}
