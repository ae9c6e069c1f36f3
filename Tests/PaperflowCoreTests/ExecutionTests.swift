import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

/// The caching contract, asserted from run records: what ran, what was cached.
@Suite("Executing workflows")
struct ExecutionTests {
    /// a → b → c, and an independent d; b's parameter `suffix` is the knob.
    static let diamond = """
        workflow: chain
        params:
          suffix: "-b"
        stages:
          a:
            uses: test.constant@1
            with: {value: 1}
          b:
            uses: test.concat@1
            inputs: {in: a.out}
            with: {suffix: "${params.suffix}"}
          c:
            uses: test.concat@1
            inputs: {in: b.out}
            with: {suffix: "-c"}
          d:
            uses: test.constant@1
            with: {value: 2}
        """

    @Test("a second run of an unchanged workflow runs zero stages")
    func noOpRerun() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/chain.yaml", Self.diamond)
        let first = try project.run("Workflows/chain.yaml", registry: FakeStages.registry())
        #expect(Set(first.record.stages(.ran)) == ["a", "b", "c", "d"])
        let second = try project.run("Workflows/chain.yaml", registry: FakeStages.registry())
        #expect(second.record.stages(.ran) == [])
        #expect(Set(second.record.stages(.cached)) == ["a", "b", "c", "d"])
        #expect(second.record.footer?.succeeded == true)
        #expect(try project.read("Artifacts/chain/c/out") == "1\n-b-c")
    }

    @Test("changing one parameter reruns exactly that stage and its descendants")
    func parameterChange() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/chain.yaml", Self.diamond)
        _ = try project.run("Workflows/chain.yaml", registry: FakeStages.registry())
        let changed = try project.run("Workflows/chain.yaml", registry: FakeStages.registry(), overrides: ["params.suffix=-B"])
        #expect(Set(changed.record.stages(.ran)) == ["b", "c"])
        #expect(Set(changed.record.stages(.cached)) == ["a", "d"])
        #expect(try project.read("Artifacts/chain/c/out") == "1\n-B-c")
        // Back to the old value: everything is in the store already.
        let back = try project.run("Workflows/chain.yaml", registry: FakeStages.registry())
        #expect(back.record.stages(.ran) == [])
    }

    @Test("bumping a plugin's version reruns its stages and their descendants")
    func versionBump() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        // A workflow names the major version (an unversioned reference is refused): the upgrade
        // is the registry's new version and the workflow's edit to ask for it.
        try project.write("Workflows/chain.yaml", Self.diamond)
        _ = try project.run("Workflows/chain.yaml", registry: FakeStages.registry(constantVersion: 1))
        try project.write("Workflows/chain.yaml", Self.diamond.replacingOccurrences(of: "test.constant@1", with: "test.constant@2"))
        let bumped = try project.run("Workflows/chain.yaml", registry: FakeStages.registry(constantVersion: 2))
        // a and d use test.constant; b and c read a's output, which is byte-identical, so they are cut off.
        #expect(Set(bumped.record.stages(.ran)) == ["a", "d"])
        #expect(Set(bumped.record.stages(.cached)) == ["b", "c"])
        let entry = bumped.record.stages.first { $0.stage == "a" }!
        #expect(entry.ingredients?.version == 2)
    }

    @Test("an upstream rerun with byte-identical output reruns nothing downstream (early cut-off)")
    func earlyCutOff() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/parity.yaml", """
            workflow: parity
            params: {n: 3}
            stages:
              p:
                uses: test.parity@1
                with: {value: "${params.n}"}
              downstream:
                uses: test.concat@1
                inputs: {in: p.out}
                with: {suffix: "!"}
              further:
                uses: test.concat@1
                inputs: {in: downstream.out}
            """)
        _ = try project.run("Workflows/parity.yaml", registry: FakeStages.registry())
        let rerun = try project.run("Workflows/parity.yaml", registry: FakeStages.registry(), overrides: ["params.n=5"])
        #expect(rerun.record.stages(.ran) == ["p"])
        #expect(Set(rerun.record.stages(.cached)) == ["downstream", "further"])
        let flipped = try project.run("Workflows/parity.yaml", registry: FakeStages.registry(), overrides: ["params.n=4"])
        #expect(flipped.record.stages(.ran) == ["p", "downstream", "further"])
    }

    @Test("independent stages overlap under -j 2 (both must be running at once to succeed)")
    func overlap() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/pair.yaml", """
            workflow: pair
            stages:
              left: {uses: test.rendezvous@1, with: {group: g, peers: 2, timeout: 20}}
              right: {uses: test.rendezvous@1, with: {group: g, peers: 2, timeout: 20}}
            """)
        let result = try project.run("Workflows/pair.yaml", registry: FakeStages.registry(rendezvous: RendezvousRegistry()), jobs: 2)
        #expect(result.summary.succeeded)
        let events = result.events
        let bothStarted = max(events.started("left")!, events.started("right")!)
        let firstFinished = min(events.finished("left")!, events.finished("right")!)
        #expect(bothStarted < firstFinished)
    }

    @Test("under -j 1 the same pair cannot overlap, so the check above can fail")
    func noOverlapWithOneJob() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/pair.yaml", """
            workflow: pair
            stages:
              left: {uses: test.rendezvous@1, with: {group: g, peers: 2, timeout: 0.3}}
              right: {uses: test.rendezvous@1, with: {group: g, peers: 2, timeout: 0.3}}
            """)
        let result = try project.run("Workflows/pair.yaml", registry: FakeStages.registry(rendezvous: RendezvousRegistry()), jobs: 1,
                                     keepGoing: true)
        // Alone, the first stage waits out its timeout and fails; the second then finds one arrival
        // already counted and passes. What matters: the first failed, so no overlap happened.
        #expect(result.summary.failed == ["left"])
        let events = result.events
        let leftFailed = events.first { if case .stageFailed("left", _) = $0.event { return true } else { return false } }
        #expect(leftFailed != nil)
        #expect(events.started("right")! > leftFailed!.sequence)
    }

    @Test("fail-fast stops new stages; --keep-going finishes independent branches")
    func failures() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/f.yaml", """
            workflow: f
            stages:
              bad: {uses: test.fail@1, with: {message: "no data for 2016"}}
              after_bad: {uses: test.concat@1, inputs: {in: bad.out}}
              other: {uses: test.constant@1, with: {value: 1}}
            """)
        let failFast = try project.run("Workflows/f.yaml", registry: FakeStages.registry(), jobs: 1)
        #expect(failFast.summary.failed == ["bad"])
        #expect(Set(failFast.summary.skipped) == ["after_bad", "other"])
        let failure = failFast.record.stages.first { $0.stage == "bad" }!
        #expect(failure.message == "no data for 2016")
        let keepGoing = try project.run("Workflows/f.yaml", registry: FakeStages.registry(), jobs: 1, keepGoing: true)
        #expect(keepGoing.summary.ran == ["other"])
        #expect(keepGoing.summary.skipped == ["after_bad"])
        // Only a complete run of the workflow as written writes its lock: a failed run writes none.
        #expect(try WorkflowLock.read(from: project.root.appendingPathComponent("Workflows/f.lock")) == nil)
    }

    @Test("a corrupted blob is detected, removed and recomputed, never used")
    func corruptedBlob() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/chain.yaml", Self.diamond)
        let first = try project.run("Workflows/chain.yaml", registry: FakeStages.registry())
        let digest = first.record.stages.first { $0.stage == "b" }!.outputs!["out"]!.digest
        let store = try project.store()
        let blob = store.blobURL(digest)
        chmod(blob.path, 0o644)
        try Data("1\n-tampered".utf8).write(to: blob)
        let second = try project.run("Workflows/chain.yaml", registry: FakeStages.registry())
        #expect(second.record.stages(.ran) == ["b"])
        #expect(second.events.warnings.count == 1)
        #expect(second.events.warnings[0].contains("corrupt"))
        #expect(try ContentHasher.digest(ofFileAt: blob.path).digest == digest)
        #expect(try project.read("Artifacts/chain/c/out") == "1\n-b-c")
        #expect(store.verify(repair: false).isConsistent)
    }

    @Test("the lock file is written once, deterministically, and lists every stage's key and outputs")
    func lockFile() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/chain.yaml", Self.diamond)
        let run = try project.run("Workflows/chain.yaml", registry: FakeStages.registry())
        let url = project.root.appendingPathComponent("Workflows/chain.lock")
        let bytes = try Data(contentsOf: url)
        let lock = try WorkflowLock.read(from: url)!
        #expect(Set(lock.stages.keys) == ["a", "b", "c", "d"])
        for record in run.record.stages { #expect(lock.stages[record.stage]?.key == record.key) }
        let before = FileSystem.identity(ofFileAt: url.path)!
        _ = try project.run("Workflows/chain.yaml", registry: FakeStages.registry())
        #expect(try Data(contentsOf: url) == bytes)
        // Unchanged content is not rewritten.
        #expect(FileSystem.identity(ofFileAt: url.path)!.inode == before.inode)
        #expect(try lock.encoded() == bytes)
    }

    @Test("a 10,000-stage chain validates, plans and runs (graph code is iterative)")
    func longChain() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        var text = "workflow: long\nstages:\n  s0: {uses: test.constant@1, with: {value: 0}}\n"
        for i in 1..<10_000 { text += "  s\(i): {uses: test.increment@1, inputs: {in: s\(i - 1).out}}\n" }
        try project.write("Workflows/long.yaml", text)
        let graph = try project.graph("Workflows/long.yaml", registry: FakeStages.registry())
        #expect(graph.stages.count == 10_000)
        #expect(graph.stages.last!.name == "s9999")
        #expect(graph.descendants(of: 0).count == 10_000)
        let result = try project.run("Workflows/long.yaml", registry: FakeStages.registry(), jobs: 2)
        #expect(result.summary.ran.count == 10_000)
        let again = try project.run("Workflows/long.yaml", registry: FakeStages.registry(), jobs: 2)
        #expect(again.summary.cached.count == 10_000)
        #expect(try project.read("Artifacts/long/s9999/out") == "9999\n")
    }
}
