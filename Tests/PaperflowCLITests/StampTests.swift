import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

/// The no-op fast path (RunStamp): a run with nothing to do is replayed from a stamp of the last
/// such run, and every change to what that run consulted sends the next run the full way.
@Suite("No-op stamps", .serialized)
struct StampTests {
    /// A folder input, a CSV input, a shell chain and an export.
    static let workflow = """
        workflow: w
        stages:
          a: {uses: shell@1, with: {cmd: 'cat data/d.csv notes/*.txt > {outs.o}', deps: [data/d.csv, notes], outs: {o: a.txt}}}
          b: {uses: shell@1, inputs: {data: a.o}, with: {cmd: 'cat {data} > {outs.o}; echo b >> {outs.o}', outs: {o: b.txt}}}
          t: {uses: io.csv@2, with: {path: data/d.csv}}
          e: {uses: io.export@1, inputs: {artifact: b.o}, with: {to: results/b.txt}}

        """

    static func project() throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.write("data/d.csv", "g,x\n1,2\n")
        try project.write("notes/one.txt", "one\n")
        try project.write("Workflows/w.yaml", workflow)
        return project
    }

    static func run(_ project: TemporaryProject, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try PaperflowProcess.run(["run", "Workflows/w.yaml", "-j", "1"], in: project.root, environment: environment)
    }

    static func stamps(_ project: TemporaryProject) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: project.root.appendingPathComponent("Artifacts/stamps").path)) ?? []).sorted()
    }

    /// The output without run ids and times.
    static func normalized(_ text: String) -> [String] {
        text.split(separator: "\n").map { line in
            line.replacingOccurrences(of: #"\(run [^)]*\)"#, with: "(run …)", options: .regularExpression)
                .replacingOccurrences(of: #" in [0-9.]+ m?s$"#, with: " in …", options: .regularExpression)
        }
    }

    /// Waits out the racy window, then runs with nothing to do: the run that writes the stamp.
    static func stamped(_ project: TemporaryProject, environment: [String: String] = [:], stamps count: Int = 1) throws -> String {
        Thread.sleep(forTimeInterval: 2.1)
        let full = try run(project, environment: environment)
        #expect(full.status == 0, "\(full.stderr)")
        #expect(full.stdout.contains("0 ran, 4 cached"), "\(full.stdout)")
        #expect(stamps(project).count == count)
        return full.stdout
    }

    @Test("a no-op replays the stamp: the same lines, a run record of every stage cached; a fresh change is never stamped")
    func replay() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        #expect(try Self.run(project).status == 0)
        // Right after the run that wrote them, the outputs are too fresh to be trusted by stat.
        let fresh = try Self.run(project)
        #expect(fresh.stdout.contains("0 ran, 4 cached"))
        #expect(Self.stamps(project).isEmpty)

        let full = try Self.stamped(project)
        let store = try project.store()
        let recordsBefore = store.runRecordURLs()
        let replayed = try Self.run(project)
        #expect(replayed.status == 0)
        #expect(Self.normalized(replayed.stdout).sorted() == Self.normalized(full).sorted())
        #expect(Self.stamps(project).count == 1)
        // The replay's run record: a new file, every stage cached with the keys and outputs of
        // the full run's record.
        let records = store.runRecordURLs()
        #expect(records.count == recordsBefore.count + 1)
        let last = try RunRecord(contentsOf: try #require(records.last))
        let previous = try RunRecord(contentsOf: try #require(recordsBefore.last))
        #expect(last.header.runID != previous.header.runID)
        #expect(last.footer?.succeeded == true)
        #expect(last.stages.map(\.stage) == previous.stages.map(\.stage))
        #expect(last.stages.map(\.key) == previous.stages.map(\.key))
        #expect(last.stages.allSatisfy { $0.status == .cached })
        let status = try PaperflowProcess.run(["status", "Workflows/w.yaml"], in: project.root)
        #expect(status.stdout.contains("up to date"), "\(status.stdout)")
        // Another command (here --quiet) has its own stamp: it takes the full path first.
        let quiet = try PaperflowProcess.run(["run", "Workflows/w.yaml", "-j", "1", "--quiet"], in: project.root)
        #expect(Self.normalized(quiet.stdout) == ["w: 0 ran, 4 cached in …"])
    }

    @Test("every change to what a no-op consulted takes the full path, which sees it")
    func changes() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        #expect(try Self.run(project).status == 0)
        let root = project.root

        // An input file edited in place, same size.
        _ = try Self.stamped(project)
        try project.write("data/d.csv", "g,x\n1,3\n")
        var run = try Self.run(project)
        #expect(run.stdout.contains("run      a (shell@1)") && run.stdout.contains("run      t (io.csv@2)"), "\(run.stdout)")
        #expect(Self.stamps(project).isEmpty)

        // A file added to an input folder.
        _ = try Self.stamped(project)
        try project.write("notes/two.txt", "two\n")
        run = try Self.run(project)
        #expect(run.stdout.contains("run      a (shell@1)"), "\(run.stdout)")
        #expect(try project.read("results/b.txt") == "g,x\n1,3\none\ntwo\nb\n")

        // A view deleted: restored.
        _ = try Self.stamped(project)
        try FileManager.default.removeItem(at: root.appendingPathComponent("Artifacts/w/b/b.txt"))
        run = try Self.run(project)
        #expect(run.stdout.contains("0 ran, 4 cached"))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("Artifacts/w/b/b.txt").path))

        // The exported file edited: exported again.
        _ = try Self.stamped(project)
        try project.write("results/b.txt", "edited\n")
        run = try Self.run(project)
        #expect(try project.read("results/b.txt") == "g,x\n1,3\none\ntwo\nb\n")

        // The lock file deleted: written again.
        _ = try Self.stamped(project)
        try FileManager.default.removeItem(at: root.appendingPathComponent("Workflows/w.lock"))
        run = try Self.run(project)
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("Workflows/w.lock").path))

        // An action record removed (a store cleaned by hand): the stage runs again.
        _ = try Self.stamped(project)
        let record = try RunRecord(contentsOf: try #require(try project.store().runRecordURLs().last))
        let key = try #require(record.stages.first { $0.stage == "b" }?.key)
        try FileManager.default.removeItem(at: try project.store().actionURL(key))
        run = try Self.run(project)
        #expect(run.stdout.contains("run      b (shell@1)"), "\(run.stdout)")

        // The workflow edited (a new stage).
        _ = try Self.stamped(project)
        try project.write("Workflows/w.yaml", Self.workflow + "  c: {uses: shell@1, with: {cmd: 'echo c > {outs.o}', outs: {o: c.txt}}}\n")
        run = try Self.run(project)
        #expect(run.stdout.contains("run      c (shell@1)"), "\(run.stdout)")
        try project.write("Workflows/w.yaml", Self.workflow)
        #expect(try Self.run(project).status == 0)

        // Another setting is another command: its own stamp, the first one kept.
        _ = try Self.stamped(project)
        let first = try #require(Self.stamps(project).first)
        run = try Self.run(project, environment: ["PAPERFLOW_LOG_LEVEL": "error"])
        #expect(run.stdout.contains("0 ran, 4 cached"))
        #expect(Self.stamps(project).count == 2 && Self.stamps(project).contains(first))
        // A project plugin folder appearing: the full path, and the first command's stamp gone.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("Plugins"), withIntermediateDirectories: true)
        run = try Self.run(project)
        #expect(run.stdout.contains("0 ran, 4 cached"))
        #expect(Self.stamps(project).count == 1 && !Self.stamps(project).contains(first))
        // A locale the shell stages are keyed by: they run again; no stamp of another locale answers.
        _ = try Self.stamped(project, stamps: 2)
        run = try Self.run(project, environment: ["LC_ALL": "C"])
        #expect(run.stdout.contains("run      a (shell@1)"), "\(run.stdout)")
    }
}
