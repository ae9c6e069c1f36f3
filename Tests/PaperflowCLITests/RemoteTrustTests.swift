import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The remote half of the trust model: only opted-in runs upload, a record is used only when the
/// committed lock or the team's secret vouches for it, a blob is never read past its recorded
/// size, a FIFO on a file:// remote does not hang a run, and confidential outputs stay home.
@Suite("Remote cache trust", .serialized)
struct RemoteTrustTests {
    static let secret = ["PAPERFLOW_REMOTE_SECRET": "team secret"]

    static func acEntries(_ shared: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: shared.appendingPathComponent("ac").path))?.filter { !$0.contains(".tmp-") } ?? []
    }

    @Test("a default run --remote uploads nothing; --remote-upload uploads records signed with the secret")
    func uploadIsOptIn() throws {
        let project = try RemoteCacheTests.project()
        defer { project.cleanUp() }
        let shared = project.root.appendingPathComponent("shared-cache")
        let remote = "file://\(shared.path)"
        let plain = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--remote", remote], in: project.root, environment: Self.secret)
        #expect(plain.status == 0)
        #expect(Self.acEntries(shared).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: shared.appendingPathComponent("cas").path))
        try project.write("Workflows/w.yaml", try project.read("Workflows/w.yaml").replacingOccurrences(of: "echo a", with: "echo A"))
        let upload = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--remote", remote, "--remote-upload"], in: project.root,
                                              environment: Self.secret)
        #expect(upload.status == 0)
        let entries = Self.acEntries(shared)
        #expect(entries.count == 3)
        for entry in entries {
            let text = try String(contentsOf: shared.appendingPathComponent("ac/\(entry)"), encoding: .utf8)
            #expect(text.split(separator: "\n").last?.hasPrefix("signature hmac-sha256:") == true, "\(text)")
        }
    }

    @Test("a rewritten remote action record is never used by a client that did not write it, and is not pushed on")
    func poisonedRecord() throws {
        let writer = try RemoteCacheTests.project(), reader = try RemoteCacheTests.project(), locked = try RemoteCacheTests.project()
        defer { writer.cleanUp(); reader.cleanUp(); locked.cleanUp() }
        let shared = writer.root.appendingPathComponent("shared-cache")
        let remote = "file://\(shared.path)"
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml", "--remote", remote, "--remote-upload"], in: writer.root,
                                         environment: Self.secret).status == 0)
        let lock = try #require(try WorkflowLock.read(from: writer.root.appendingPathComponent("Workflows/w.lock")))
        let cKey = try #require(lock.stages["c"]?.key), aOutput = try #require(lock.stages["a"]?.outputs["o"])
        let good = try #require(lock.stages["c"]?.outputs["o"]?.digest)
        // The attacker points c's key at a's (valid, present) blob, with and without the old signature.
        let record = shared.appendingPathComponent("ac/\(cKey.hex)")
        let original = try String(contentsOf: record, encoding: .utf8)
        let poisoned = original.replacingOccurrences(of: "output o \(good)", with: "output o \(aOutput.digest)")
            .replacingOccurrences(of: #"output o (sha256:[0-9a-f]+) \d+"#, with: "output o $1 \(aOutput.size)", options: .regularExpression)
        #expect(poisoned != original)
        chmod(record.path, 0o644)
        try Data(poisoned.utf8).write(to: record)

        // A client with the team's secret: the signature no longer matches; c is computed.
        let run = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json", "--remote", remote], in: reader.root, environment: Self.secret)
        #expect(run.status == 0)
        #expect(RemoteCacheTests.started(run.stdout) == ["c"])
        #expect(run.stdout.contains("not signed with this team's PAPERFLOW_REMOTE_SECRET; rejected, not stored"))
        #expect(try reader.read("Artifacts/w/c/c.txt") == "a\nb\nc\n")
        #expect(try reader.store().action(for: cKey)?.outputs["o"]?.digest == good)

        // A client without the secret but with the committed lock: the lock names other outputs.
        try RemoteCacheTests.copyLock(from: writer, to: locked)
        let pulled = try PaperflowProcess.run(["cache", "pull", "--remote", remote], in: locked.root)
        #expect(pulled.status == 1)
        #expect(pulled.stderr.contains("rejected w/c: \(remote)/ac/\(cKey.hex): names outputs other than the committed lock's for key \(cKey.short)"))
        #expect(try locked.store().action(for: cKey) == nil)

        // A client with neither uses no remote record at all.
        let bare = try RemoteCacheTests.project()
        defer { bare.cleanUp() }
        let unvouched = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json", "--remote", remote], in: bare.root)
        #expect(RemoteCacheTests.started(unvouched.stdout) == ["a", "b", "c"])

        // The reader pushes: its own record replaces the poisoned one rather than standing beside it.
        let pushed = try PaperflowProcess.run(["cache", "push", "--remote", remote], in: reader.root, environment: Self.secret)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let repaired = try String(contentsOf: record, encoding: .utf8)
        #expect(repaired.contains("output o \(good)"))
    }

    @Test("a remote blob larger than its record says is cut off; a FIFO on a file:// remote is refused, not waited on")
    func oversizedAndFIFO() throws {
        let writer = try RemoteCacheTests.project(), reader = try RemoteCacheTests.project()
        defer { writer.cleanUp(); reader.cleanUp() }
        let shared = writer.root.appendingPathComponent("shared-cache")
        let remote = "file://\(shared.path)"
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml", "--remote", remote, "--remote-upload"], in: writer.root,
                                         environment: Self.secret).status == 0)
        let lock = try #require(try WorkflowLock.read(from: writer.root.appendingPathComponent("Workflows/w.lock")))
        let b = try #require(lock.stages["b"]?.outputs["o"]), c = try #require(lock.stages["c"]?.outputs["o"])
        let bBlob = shared.appendingPathComponent("cas/\(b.digest.hex)"), cBlob = shared.appendingPathComponent("cas/\(c.digest.hex)")
        chmod(bBlob.path, 0o644)
        try Data(repeating: 0x61, count: 8 << 20).write(to: bBlob)
        unlink(cBlob.path)
        #expect(mkfifo(cBlob.path, 0o644) == 0)
        let started = Date()
        let run = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json", "--remote", remote], in: reader.root,
                                           environment: Self.secret, timeout: 30)
        #expect(run.status == 0)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(RemoteCacheTests.started(run.stdout) == ["b", "c"])
        #expect(run.stdout.contains("larger than the \(b.size) bytes its action record names; cut off, not stored"))
        #expect(run.stdout.contains("not a regular file (a FIFO, device or link); ignored"))
        #expect(try reader.read("Artifacts/w/c/c.txt") == "a\nb\nc\n")
    }

    @Test("a confidential stage's outputs, and those made from them, are left out of an export and a push, and never uploaded")
    func confidentialStaysHome() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/w.yaml", """
            workflow: w
            stages:
              public: {uses: shell@1, with: {cmd: "echo public > {outs.o}", outs: {o: p.txt}}}
              micro: {uses: shell@1, with: {cmd: "echo firm-level customs records > {outs.o}", outs: {o: m.txt}}, confidential: true}
              panel: {uses: shell@1, inputs: {data: micro.o}, with: {cmd: "cat {data} > {outs.o}", outs: {o: panel.txt}}}
              table: {uses: shell@1, inputs: {data: panel.o}, with: {cmd: "wc -l < {data} > {outs.o}", outs: {o: t.txt}}, confidential: false}
            """)
        let shared = project.root.appendingPathComponent("shared-cache")
        let remote = "file://\(shared.path)"
        let run = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--remote", remote, "--remote-upload"], in: project.root,
                                           environment: Self.secret)
        #expect(run.status == 0, "\(run.stderr)")
        let lock = try #require(try WorkflowLock.read(from: project.root.appendingPathComponent("Workflows/w.lock")))
        #expect(lock.stages.filter(\.value.confidential).keys.sorted() == ["micro", "panel"])
        let secretDigests = Set(["micro", "panel"].compactMap { lock.stages[$0]?.outputs["o"]?.digest.hex })
        let released = Set(["public", "table"].compactMap { lock.stages[$0]?.key.hex })
        #expect(Set(Self.acEntries(shared)) == released)
        let uploaded = Set((try? FileManager.default.contentsOfDirectory(atPath: shared.appendingPathComponent("cas").path)) ?? [])
        #expect(uploaded.isDisjoint(with: secretDigests))

        let tar = project.root.appendingPathComponent("store.tar")
        let export = try PaperflowProcess.run(["cache", "export", tar.path], in: project.root)
        #expect(export.status == 0)
        #expect(export.stderr.contains("note: 2 confidential stages not exported (their outputs never leave this machine): w/micro, w/panel"))
        let archive = try Data(contentsOf: tar)
        for digest in secretDigests { #expect(archive.range(of: Data(digest.dropFirst(2).utf8)) == nil) }
        #expect(archive.range(of: Data("firm-level customs records".utf8)) == nil)

        let other = project.root.appendingPathComponent("other-cache")
        let push = try PaperflowProcess.run(["cache", "push", "--remote", "file://\(other.path)"], in: project.root)
        #expect(push.status == 0)
        #expect(push.stderr.contains("note: 2 confidential stages not pushed"))
        let pushedBlobs = Set((try? FileManager.default.contentsOfDirectory(atPath: other.appendingPathComponent("cas").path)) ?? [])
        #expect(pushedBlobs.isDisjoint(with: secretDigests) && !pushedBlobs.isEmpty)
    }
}
