import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `executor: slurm` (issue 25) against a real one-node cluster that `.ci/start-slurm` starts:
/// slurmctld, slurmd and munge, memory limits enforced by cgroups.
@Suite("Slurm executor", .serialized, .enabled(if: SlurmCluster.available,
       "no Slurm cluster: .ci/start-slurm could not install or start one (it needs root); the Slurm executor tests are skipped"))
struct SlurmExecutorTests {
    /// The stage lines of the newest run record in `project`.
    static func lastRun(_ project: TemporaryProject) throws -> [[String: Any]] {
        let runs = project.root.appendingPathComponent("Artifacts/runs")
        let newest = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.hasSuffix(".jsonl") }.sorted().last!
        return try String(contentsOf: runs.appendingPathComponent(newest), encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["kind"] as? String == "stage" }
    }

    /// Each attempt of a stage line's Slurm record.
    static func attempts(_ line: [String: Any]) -> [[String: Any]] {
        ((line["slurm"] as? [String: Any])?["attempts"] as? [[String: Any]]) ?? []
    }

    /// Output digests by stage and port from a lock file.
    static func digests(_ lock: URL) throws -> [String: [String: String]] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: lock)) as! [String: Any]
        return (object["stages"] as! [String: [String: Any]]).mapValues { entry in
            (entry["outputs"] as! [String: [String: Any]]).mapValues { $0["digest"] as! String }
        }
    }

    @Test("liu-zhu-2021 (small) with executor: slurm: the lock's digests equal a local run's, matrix stages go as one job array each (sacct), a second run submits nothing")
    func liuZhuOnSlurm() throws {
        let environment = try SlurmCluster.environment()
        let local = try ExperimentTests.liuZhu()
        defer { local.cleanUp() }
        let first = try PaperflowProcess.run(["run", "Workflows/liu-zhu-2021.yaml", "--quiet"], in: local.root, timeout: 600)
        try #require(first.status == 0, "\(first.stderr)")

        let cluster = try ExperimentTests.liuZhu()
        defer { cluster.cleanUp() }
        let text = try cluster.read("Workflows/liu-zhu-2021.yaml")
        _ = try cluster.write("Workflows/liu-zhu-2021.yaml", text.replacingOccurrences(of: "\nparams:\n", with: "\nexecutor: slurm\nparams:\n"))
        let run = try PaperflowProcess.run(["run", "Workflows/liu-zhu-2021.yaml", "--quiet"], in: cluster.root,
                                           environment: environment, timeout: 900)
        try #require(run.status == 0, "\(run.stderr)")
        let localDigests = try Self.digests(local.root.appendingPathComponent("Workflows/liu-zhu-2021.lock"))
        let clusterDigests = try Self.digests(cluster.root.appendingPathComponent("Workflows/liu-zhu-2021.lock"))
        #expect(localDigests.count == 64)
        #expect(clusterDigests == localDigests)

        let lines = try Self.lastRun(cluster)
        #expect(lines.count == 64 && lines.allSatisfy { $0["status"] as? String == "ran" })
        // Tables and figures ran here; everything else as a job that COMPLETED on the node.
        let submitted = lines.filter { !Self.attempts($0).isEmpty }
        let plugins = lines.filter { Self.attempts($0).isEmpty }.map { ($0["ingredients"] as? [String: Any])?["plugin"] as? String ?? "" }
        #expect(!plugins.isEmpty && plugins.allSatisfy { $0.hasPrefix("tables.") || $0.hasPrefix("figures.") }, "ran locally: \(plugins)")
        #expect(submitted.count >= 40)
        for line in submitted {
            let attempts = Self.attempts(line)
            #expect(attempts.count == 1 && attempts[0]["state"] as? String == "COMPLETED" && attempts[0]["node"] as? String == "localhost")
            #expect(((line["slurm"] as? [String: Any])?["maxRSS"] as? Int ?? 0) > 1_000_000)
        }
        // model[…]: four members, one array: task ids ARRAY_0 … ARRAY_3 of one job.
        let members = submitted.filter { ($0["stage"] as! String).hasPrefix("model[") }
        let jobs = members.map { Self.attempts($0)[0]["job"] as! String }
        #expect(members.count == 4)
        let arrayIDs = Set(jobs.map { $0.split(separator: "_").first.map(String.init) ?? $0 })
        #expect(arrayIDs.count == 1 && jobs.allSatisfy { $0.contains("_") }, "\(jobs)")
        #expect(Set(jobs.compactMap { $0.split(separator: "_").last }) == ["0", "1", "2", "3"])
        // sacct (from the job-completion log) lists the array's four tasks under one job name and
        // names their array job.
        let arrayID = arrayIDs.first!
        let name = try SlurmCluster.run("squeue", ["--noheader", "--states=all", "--jobs=\(arrayID)", "--format=%j"]).output
            .split(separator: "\n").first.map(String.init) ?? ""
        #expect(name.hasSuffix("-model.array1") || name.contains("-model.array"), "\(name)")
        let sacct = try SlurmCluster.run("sacct", ["-c", "--name=\(name)", "--parsable2", "--noheader", "--format=JobID,JobName,State"]).output
        let rows = sacct.split(separator: "\n").filter { $0.contains("|\(name)|") }
        #expect(rows.count == 4 && rows.allSatisfy { $0.hasSuffix("|COMPLETED") }, "\(sacct)")
        // (sacct -c reports each array task of the completion log as "Unknown type ArrayJobId: N".)
        #expect(sacct.split(separator: "\n").filter { $0.hasSuffix("ArrayJobId: \(arrayID)") }.count == 4, "\(sacct)")

        // The report's provenance names each submitted stage's job, node, state and memory.
        let report = try cluster.read("Artifacts/liu-zhu-2021/report.html")
        let firstJob = try #require(Self.attempts(members[0]).first?["job"] as? String)
        #expect(report.contains("Slurm job <code>\(firstJob)</code> on localhost: COMPLETED"), "no line for job \(firstJob)")
        #expect(report.contains("MaxRSS "))

        // A second run: every stage cached, nothing submitted.
        let second = try PaperflowProcess.run(["run", "Workflows/liu-zhu-2021.yaml", "--json"], in: cluster.root,
                                              environment: environment, timeout: 300)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stdout.contains("\"stageStarted\""))
        let again = try Self.lastRun(cluster)
        #expect(again.count == 64 && again.allSatisfy { $0["status"] as? String == "cached" && $0["slurm"] == nil })
    }

    /// A project with one workflow of shell stages under `executor: slurm`.
    static func project(_ stages: String) throws -> TemporaryProject {
        let project = try TemporaryProject()
        _ = try project.write("Workflows/w.yaml", "workflow: w\nexecutor: slurm\nstages:\n" + stages)
        return project
    }

    @Test("a stage over its mem is killed OUT_OF_MEMORY and retried with twice the memory, then succeeds; the record shows both jobs")
    func outOfMemoryRetry() throws {
        let project = try Self.project("""
              hog:
                uses: shell@1
                resources: {mem: 150M, retries: 2}
                with:
                  cmd: python3 -c "b = b'x' * (220 << 20); open({outs.size}, 'w').write(str(len(b)))"
                  outs: {size: size.txt}

            """)
        defer { project.cleanUp() }
        let run = try PaperflowProcess.run(["run", "Workflows/w.yaml"], in: project.root, environment: try SlurmCluster.environment(), timeout: 300)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try project.read("Artifacts/w/hog/size.txt") == "\(220 << 20)")
        let line = try #require(try Self.lastRun(project).first)
        let attempts = Self.attempts(line)
        #expect(attempts.map { $0["state"] as? String } == ["OUT_OF_MEMORY", "COMPLETED"])
        #expect(attempts.map { $0["memoryMegabytes"] as? Int } == [150, 300])
        #expect(Set(attempts.map { $0["job"] as! String }).count == 2)
    }

    @Test("a stage that fails is reported with its Slurm job state and its log's tail; one that keeps running out of memory names the resource to raise")
    func failureReported() throws {
        let project = try Self.project("""
              broken:
                uses: shell@1
                with:
                  cmd: echo 'tail-marker-7 from the job' >&2; exit 3
                  outs: {out: out.txt}
              hog:
                uses: shell@1
                resources: {mem: 100M, retries: 0}
                with:
                  cmd: python3 -c "b = b'x' * (300 << 20)"
                  outs: {out: out.txt}
              unreadable:
                uses: io.csv@2
                with: {path: data/bad.csv}

            """)
        defer { project.cleanUp() }
        _ = try project.write("data/bad.csv", "a,b\n1,2\n3,4,5\n")
        let run = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--keep-going"], in: project.root,
                                           environment: try SlurmCluster.environment(), timeout: 300)
        #expect(run.status == 1)
        let output = run.stdout + run.stderr
        #expect(output.contains("broken: Slurm job") && output.contains("ended FAILED on localhost"), "\(output)")
        #expect(output.contains("tail-marker-7 from the job"), "\(output)")
        #expect(output.contains("the end of its log (broken.1.log)"), "\(output)")
        #expect(output.contains("ended OUT_OF_MEMORY on localhost at mem 100M after 1 attempts; raise 'resources: {mem: …}' of stage 'hog'"), "\(output)")
        // A stage's own log is kept where a local stage's goes; a stage that writes none keeps its
        // job's output instead: here exec-stage's account of the failure, at its row and column.
        #expect(try project.read("Artifacts/w/broken.log").contains("tail-marker-7 from the job"))
        let jobLog = try project.read("Artifacts/w/unreadable.log")
        #expect(jobLog.contains("error: stage 'unreadable':") && jobLog.contains("bad.csv"), "\(jobLog)")
        #expect(output.contains("FAILED   unreadable: Slurm job ") && output.contains("ended FAILED on localhost: data/bad.csv:3:5: error: row has 3 fields, the header has 2"), "\(output)")
    }

    @Test("Ctrl-C scancels the run's jobs: none is left in squeue, and the run exits 130")
    func interruptCancelsJobs() throws {
        let project = try Self.project("""
              sleeper:
                uses: shell@1
                with:
                  cmd: sleep 300; echo done > {outs.out}
                  outs: {out: out.txt}
              napper:
                uses: shell@1
                with:
                  cmd: sleep 300; echo done > {outs.out}
                  outs: {out: out.txt}

            """)
        defer { project.cleanUp() }
        let child = try PaperflowProcess(["run", "Workflows/w.yaml"], in: project.root, environment: try SlurmCluster.environment())
        var ids: [String] = []
        let started = PaperflowProcess.waitUntil(timeout: 60) {
            let queue = (try? SlurmCluster.run("squeue", ["--noheader", "--format=%i|%j|%T"]).output) ?? ""
            ids = queue.split(separator: "\n").filter { $0.contains("-sleeper|RUNNING") || $0.contains("-napper|") }
                .compactMap { $0.split(separator: "|").first.map(String.init) }
            return ids.count == 2 && queue.contains("-sleeper|RUNNING")
        }
        try #require(started, "the jobs did not start: \(child.stderr)")
        child.send(SIGINT)
        let status = child.wait(timeout: 90)
        #expect(status == 130, "\(child.stderr)")
        let left = try SlurmCluster.run("squeue", ["--noheader", "--jobs=\(ids.joined(separator: ","))", "--format=%i|%T"]).output
        #expect(left.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "still queued: \(left)")
        let ended = try SlurmCluster.run("squeue", ["--noheader", "--states=all", "--jobs=\(ids.joined(separator: ","))", "--format=%T"]).output
        #expect(ended.split(separator: "\n").allSatisfy { $0 == "CANCELLED" }, "\(ended)")
        #expect((child.stdout + child.stderr).contains("scancel'ed Slurm jobs"), "\(child.stdout + child.stderr)")
    }
}

/// `paperflow exec-stage` without a cluster: a request under a key the node does not compute
/// (another build, another copy of the workflow) is refused, and nothing is stored.
@Suite("exec-stage")
struct ExecStageTests {
    @Test("a request whose key this node does not compute is refused with both keys named; the reply says why and no output is stored")
    func foreignKey() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        _ = try project.write("Workflows/w.yaml", """
            workflow: w
            stages:
              hello:
                uses: shell@1
                with: {cmd: "echo hi > {outs.out}", outs: {out: out.txt}}

            """)
        let store = project.root.appendingPathComponent("Artifacts")
        let scratch = store.appendingPathComponent("tmp/run/hello")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("out"), withIntermediateDirectories: true)
        let reply = project.root.appendingPathComponent("Artifacts/tmp/run/hello.reply.json")
        let foreign = Digest(hex: String(repeating: "ab", count: 32))!
        let request = StageRequest(runID: "run", projectRoot: project.root.path,
                                   workflow: project.root.appendingPathComponent("Workflows/w.yaml").path, displayPath: "Workflows/w.yaml",
                                   overrides: [], stage: "hello", key: foreign, inputs: [:], files: [:], scratch: scratch.path,
                                   store: store.path, reply: reply.path)
        let requestURL = project.root.appendingPathComponent("Artifacts/tmp/run/hello.request.json")
        try request.write(to: requestURL)
        let run = try PaperflowProcess.run(["exec-stage", requestURL.path], in: project.root)
        #expect(run.status == 1)
        #expect(run.stderr.contains("the run asked for \(foreign.short)"), "\(run.stderr)")
        let answer = try StageReply.read(from: reply)
        #expect(answer.outputs == nil)
        #expect(answer.error?.contains("its paperflow build or the workflow differs from the submitting machine's") == true)
        #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out/out.txt").path))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent("cas").path))?.isEmpty ?? true)
    }
}
