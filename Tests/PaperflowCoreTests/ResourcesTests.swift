import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

/// `executor:` and `resources:` (issue 25): parsed with located errors, merged over the
/// workflow's defaults, and never part of a key.
@Suite("Executor and resources")
struct ResourcesTests {
    static func graph(_ text: String) throws -> StageGraph {
        let workflow = try WorkflowLoader().load(text: text, file: "w.yaml", overrides: [])
        return try WorkflowValidator(registry: FakeStages.registry(), projectRoot: URL(fileURLWithPath: "/nonexistent"))
            .validate(workflow)
    }

    @Test("stage resources over the workflow's defaults; executor: slurm recorded")
    func merged() throws {
        let graph = try Self.graph("""
            workflow: w
            executor: slurm
            resources: {mem: 4G, time: "1:00:00", partition: short, sbatch: [--constraint=avx2]}
            stages:
              a:
                uses: test.constant@1
                with: {value: 1}
                resources: {cpus: 8, mem: 500M, time: 2-12:30:00, retries: 0, local: true, sbatch: --exclusive, account: geo, qos: high}
              b:
                uses: test.constant@1
                with: {value: 1}
            """)
        #expect(graph.executor == .slurm)
        let a = graph.stage("a")!.resources, b = graph.stage("b")!.resources
        #expect(a.cpus == 8 && a.memoryMegabytes == 500 && a.timeSeconds == 2 * 86_400 + 12 * 3600 + 30 * 60)
        #expect(a.partition == "short" && a.account == "geo" && a.qos == "high" && a.retries == 0 && a.local == true)
        #expect(a.sbatchArguments == ["--constraint=avx2", "--exclusive"])
        #expect(b.cpus == nil && b.memoryMegabytes == 4096 && b.timeSeconds == 3600 && b.partition == "short" && b.retries == nil)
        #expect(b.sbatchArguments == ["--constraint=avx2"])
        // Same stage, other resources: the same key (more memory computes the same bytes).
        let keyA = Planner.ingredients(of: graph.stage("a")!, inputs: [:], files: [:]).key
        let keyB = Planner.ingredients(of: graph.stage("b")!, inputs: [:], files: [:]).key
        #expect(keyA == keyB)
    }

    @Test("Slurm's size and time forms", arguments: [
        ("500M", 500), ("4G", 4096), ("1T", 1_048_576), ("2048", 2048), ("1.5G", 1536), ("512K", 1),
    ])
    func sizes(text: String, megabytes: Int) {
        #expect(StageResources.megabytes(parsing: text) == megabytes)
    }

    @Test("time limits as sbatch reads them, and back")
    func times() {
        #expect(StageResources.seconds(parsing: "90") == 5400)
        #expect(StageResources.seconds(parsing: "30:15") == 1815)
        #expect(StageResources.seconds(parsing: "1:30:00") == 5400)
        #expect(StageResources.seconds(parsing: "2-0") == 172_800)
        #expect(StageResources.seconds(parsing: "2-12:30") == 217_800)
        #expect(StageResources.seconds(parsing: "1-00:00:01") == 86_401)
        for bad in ["", "abc", "1:2:3:4", "-5", "0", "1h"] { #expect(StageResources.seconds(parsing: bad) == nil, "\(bad)") }
        for bad in ["", "lots", "4X", "-1G", "0"] { #expect(StageResources.megabytes(parsing: bad) == nil, "\(bad)") }
        #expect(StageResources.slurmTime(5400) == "01:30:00")
        #expect(StageResources.slurmTime(217_800) == "2-12:30:00")
    }

    @Test("bad executor and resources are errors at their line and column, with the fix")
    func errors() throws {
        for (text, message) in [
            ("executor: pbs\nstages:\n  a: {uses: test.constant@1, with: {value: 1}}\n",
             "w.yaml:2:11: error: 'executor' must be one of local, slurm, found 'pbs'"),
            ("stages:\n  a:\n    uses: test.constant@1\n    with: {value: 1}\n    resources: {mem: lots}\n",
             "w.yaml:6:22: error: 'mem' in the resources of stage 'a' must be a size such as 500M, 4G or 1T, found 'lots'"),
            ("stages:\n  a:\n    uses: test.constant@1\n    with: {value: 1}\n    resources: {cpu: 4}\n",
             "w.yaml:6:17: error: unknown resource 'cpu' in stage 'a'; did you mean 'cpus'?"),
            ("resources: {time: 1h}\nstages:\n  a: {uses: test.constant@1, with: {value: 1}}\n",
             "w.yaml:2:19: error: 'time' in the resources of the workflow must be a Slurm time limit (minutes, MM:SS, H:MM:SS or D-HH:MM:SS), found '1h'"),
            ("resources: {sbatch: [-N 2]}\nstages:\n  a: {uses: test.constant@1, with: {value: 1}}\n",
             "w.yaml:2:22: error: each 'sbatch' argument of the workflow must be a long option such as --constraint=avx2, found '-N 2'"),
            ("resources: {cpus: 0}\nstages:\n  a: {uses: test.constant@1, with: {value: 1}}\n",
             "w.yaml:2:19: error: 'cpus' in the resources of the workflow must be a whole number of at least 1, found '0'"),
            ("resources: {partition: \"a b\"}\nstages:\n  a: {uses: test.constant@1, with: {value: 1}}\n",
             "w.yaml:2:24: error: 'partition' in the resources of the workflow must be one word, found 'a b'"),
        ] {
            do {
                _ = try WorkflowLoader().load(text: "workflow: w\n" + text, file: "w.yaml", overrides: [])
                Issue.record("no error for \(text)")
            } catch let error as DiagnosticsError {
                #expect(error.diagnostics.map(\.headline) == [message])
            }
        }
    }
}
