import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

@Suite("Artifact store")
struct StoreTests {
    @Test("SHA-256 of known content matches the published test vector")
    func digestVector() throws {
        #expect(ContentHasher.digest(of: Data("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let url = try project.write("x.txt", "abc")
        #expect(try ContentHasher.digest(ofFileAt: url.path).digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("the memo remembers a file by its stat tuple and forgets it when the file changes")
    func memo() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let url = try project.write("data.csv", "a,b\n1,2\n")
        let memo = FileHashMemo(url: project.root.appendingPathComponent("memo"))
        // Hashed within the racy window of its write: not remembered (git's racy-clean rule).
        _ = try memo.digest(ofFileAt: url.path)
        #expect(memo.remembered(url.path, FileSystem.identity(ofFileAt: url.path)!) == nil)
        usleep(2_100_000)
        let first = try memo.digest(ofFileAt: url.path)!
        let identity = FileSystem.identity(ofFileAt: url.path)!
        #expect(memo.remembered(url.path, identity) == first.digest)
        try memo.save()
        // A fresh process (a new memo loaded from disk) still knows it without reading.
        let reloaded = FileHashMemo(url: project.root.appendingPathComponent("memo"))
        #expect(reloaded.remembered(url.path, identity) == first.digest)
        usleep(10_000)
        try Data("a,b\n1,3\n".utf8).write(to: url)
        let changed = FileSystem.identity(ofFileAt: url.path)!
        #expect(changed != identity)
        #expect(reloaded.remembered(url.path, changed) == nil)
        #expect(try reloaded.digest(ofFileAt: url.path)!.digest != first.digest)
    }

    @Test("verify finds corrupt blobs, partial files and dangling action records; repair removes them")
    func verify() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let store = try project.store()
        let good = try store.ingest(data: Data("good".utf8))
        let bad = try store.ingest(data: Data("bad".utf8))
        chmod(bad.url.path, 0o644)
        try Data("worse".utf8).write(to: bad.url)
        try FileSystem.makeDirectory(store.casDirectory.appendingPathComponent("ab"))
        try Data("half".utf8).write(to: store.casDirectory.appendingPathComponent("ab/partial-temp"))
        try store.record(ActionRecord(key: Digest(hex: String(repeating: "cd", count: 32))!, stage: "s", workflow: "w",
                                      outputs: ["out": OutputRecord(digest: Digest(hex: String(repeating: "ef", count: 32))!, size: 1, fileName: "out")],
                                      runID: "r", seconds: 0))
        let report = store.verify(repair: false)
        #expect(report.corruptBlobs == [bad.url.path])
        #expect(report.partialFiles.count == 1)
        #expect(report.danglingActions.count == 1)
        #expect(!report.isConsistent)
        _ = store.verify(repair: true)
        let after = store.verify(repair: false)
        #expect(after.isConsistent)
        #expect(after.blobsChecked == 1)
        #expect(FileManager.default.fileExists(atPath: good.url.path))
    }

    @Test("gc keeps what a lock file references and removes the rest")
    func garbageCollection() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/chain.yaml", ExecutionTests.diamond)
        let first = try project.run("Workflows/chain.yaml", registry: FakeStages.registry())
        _ = try project.run("Workflows/chain.yaml", registry: FakeStages.registry(), overrides: ["params.suffix=-B"])
        let store = try project.store()
        // Keep nothing from run records: only the lock counts — and it still describes the
        // workflow as written (a --set run does not rewrite it), so the -B outputs go.
        let report = try store.collectGarbage(lockDirectory: project.root.appendingPathComponent("Workflows"), keepDays: -1, dryRun: false)
        #expect(report.blobsRemoved == 2)
        #expect(report.actionsRemoved == 2)
        #expect(report.runRecordsRemoved == 2)
        let oldB = first.record.stages.first { $0.stage == "b" }!.outputs!["out"]!.digest
        #expect(FileManager.default.fileExists(atPath: store.blobURL(oldB).path))
        let rerun = try project.run("Workflows/chain.yaml", registry: FakeStages.registry())
        #expect(rerun.record.stages(.ran) == [])
        let rerunB = try project.run("Workflows/chain.yaml", registry: FakeStages.registry(), overrides: ["params.suffix=-B"])
        #expect(rerunB.record.stages(.ran) == ["b", "c"])
    }

    @Test("a second lock holder is told who holds the lock")
    func exclusiveLock() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let root = project.root.appendingPathComponent("Artifacts")
        let first = try StoreLock(store: root, command: "paperflow run first", wait: false)
        #expect {
            try StoreLock(store: root, command: "paperflow run second", wait: false)
        } throws: { error in
            guard case let StoreError.lockHeld(holder, _) = error else { return false }
            return holder.pid == getpid() && holder.command == "paperflow run first"
        }
        withExtendedLifetime(first) {}
    }
}
