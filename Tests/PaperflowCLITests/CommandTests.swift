import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

/// The smaller commands, end to end through the real executable.
@Suite("paperflow commands", .serialized)
struct CommandTests {
    static let workflow = """
        workflow: w
        stages:
          raw: {uses: io.file@1, with: {path: data/in.txt}}
          words:
            uses: shell@1
            inputs: {data: raw.file}
            with: {cmd: "wc -w < {data} | tr -d ' ' > {outs.count}; tr a-z A-Z < {data} > {outs.upper}", outs: {count: count.txt, upper: upper.txt}}
          export:
            uses: io.export@1
            inputs: {artifact: words.upper}
            with: {to: results/upper.txt}
        """

    static func project() throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.write("data/in.txt", "one two three\n")
        try project.write("Workflows/w.yaml", Self.workflow)
        return project
    }

    @Test("dag prints the graph as Mermaid and as Graphviz dot")
    func dag() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        let mermaid = try PaperflowProcess.run(["dag", "Workflows/w.yaml"], in: project.root)
        #expect(mermaid.stdout == """
            flowchart TD
              s0["raw<br/>io.file@1"]
              s1["words<br/>shell@1"]
              s2["export<br/>io.export@1"]
              s0 --> s1
              s1 --> s2

            """)
        let dot = try PaperflowProcess.run(["dag", "Workflows/w.yaml", "--format", "dot"], in: project.root)
        #expect(dot.stdout == """
            digraph "w" {
              rankdir=TB;
              node [shape=box, fontname="Helvetica"];
              s0 [label="raw\\nio.file@1"];
              s1 [label="words\\nshell@1"];
              s2 [label="export\\nio.export@1"];
              s0 -> s1;
              s1 -> s2;
            }

            """)
    }

    @Test("show prints one output, lists several, and names a missing one")
    func show() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        let before = try PaperflowProcess.run(["show", "Workflows/w.yaml", "words.count"], in: project.root)
        #expect(before.status == 1)
        #expect(before.stderr == "error: stage 'words' has not run yet; run 'paperflow run Workflows/w.yaml' first\n")
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml"], in: project.root).status == 0)
        #expect(try PaperflowProcess.run(["show", "Workflows/w.yaml", "words.count"], in: project.root).stdout == "3\n")
        #expect(try PaperflowProcess.run(["show", "Workflows/w.yaml", "raw"], in: project.root).stdout == "one two three\n")
        let list = try PaperflowProcess.run(["show", "Workflows/w.yaml", "words"], in: project.root).stdout
        #expect(list.hasPrefix("outputs of words:\n  count  2 bytes  sha256:"))
        let typo = try PaperflowProcess.run(["show", "Workflows/w.yaml", "words.cuont"], in: project.root)
        #expect(typo.stderr == "error: stage 'words' has no output 'cuont'; did you mean 'count'?\n")
    }

    @Test("show prints a table as CSV (codes keep their zeros, numeric-looking text quoted), and --raw its stored bytes")
    func showTable() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/t.csv", "code,value\n0101,1.5\n8471,\n")
        try project.write("Workflows/t.yaml", "workflow: t\nstages:\n  read: {uses: io.csv@2, with: {path: data/t.csv, schema: {code: string}}}\n")
        #expect(try PaperflowProcess.run(["run", "Workflows/t.yaml"], in: project.root).status == 0)
        let csv = try PaperflowProcess.run(["show", "Workflows/t.yaml", "read.table"], in: project.root)
        #expect(csv.status == 0)
        // 8471 is text that looks like a number: quoted, so io.csv reads it back as text.
        #expect(csv.stdout == "code,value\n0101,1.5\n\"8471\",\n")
        let raw = try PaperflowProcess(["show", "Workflows/t.yaml", "read.table", "--raw"], in: project.root)
        #expect(raw.wait() == 0)
        let stored = try Data(contentsOf: project.root.appendingPathComponent("Artifacts/t/read/table.pftable"))
        #expect(try Data(contentsOf: raw.stdoutURL) == stored)
    }

    @Test("clean removes the views and the next run restores them from the store without running anything")
    func clean() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml"], in: project.root).status == 0)
        let cleaned = try PaperflowProcess.run(["clean"], in: project.root)
        #expect(cleaned.stdout == "removed Artifacts/w/\n")
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("Artifacts/w").path))
        let rerun = try PaperflowProcess.run(["run", "Workflows/w.yaml"], in: project.root)
        #expect(rerun.stdout.contains("w: 0 ran, 3 cached in "))
        #expect(try project.read("Artifacts/w/words/upper.txt") == "ONE TWO THREE\n")
        let all = try PaperflowProcess.run(["clean", "--all"], in: project.root)
        #expect(all.stdout == "removed Artifacts/w/, Artifacts/cas, Artifacts/actions, Artifacts/runs, Artifacts/memo, Artifacts/lock-stamps\n")
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json"], in: project.root).stdout.contains("\"ran\":[\"raw\",\"words\",\"export\"]"))
    }

    @Test("gc keeps what the lock file references")
    func gc() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml"], in: project.root).status == 0)
        usleep(10_000)
        try project.write("data/in.txt", "four five\n")
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml"], in: project.root).status == 0)
        let dry = try PaperflowProcess.run(["gc", "--keep-days", "0", "--dry-run"], in: project.root)
        #expect(dry.stdout.hasPrefix("would remove 3 blobs"))
        #expect(dry.stdout.hasSuffix("3 action records, 2 run records; kept 3 blobs\n"))
        let real = try PaperflowProcess.run(["gc", "--keep-days", "0"], in: project.root)
        #expect(real.stdout.hasPrefix("removed 3 blobs"))
        let rerun = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json"], in: project.root)
        #expect(rerun.stdout.contains("\"cached\":[\"raw\",\"words\",\"export\"]"))
    }

    @Test("cache export → import into an empty store → the run computes nothing; a tampered blob and a cut archive are refused")
    func exportImport() throws {
        let project = try Self.project(), other = try Self.project()
        defer { project.cleanUp(); other.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml"], in: project.root).status == 0)
        let archive = project.root.appendingPathComponent("store.tar")
        let exported = try PaperflowProcess.run(["cache", "export", archive.path], in: project.root)
        #expect(exported.stdout.hasPrefix("exported 3 blobs ("))
        #expect(exported.stdout.hasSuffix(") and 3 action records of 1 lock file to \(archive.path)\n"))
        // GNU tar reads it: three blobs, then three records.
        let tar = try ExternalTool.run(try ExternalTool.require("tar"), ["tf", archive.path])
        #expect(tar.status == 0)
        let listing = tar.output
        #expect(listing.split(separator: "\n").map { $0.prefix(4) } == ["cas/", "cas/", "cas/", "acti", "acti", "acti"])

        // The other clone has the lock file (committed) and an empty store.
        try FileManager.default.copyItem(at: project.root.appendingPathComponent("Workflows/w.lock"), to: other.root.appendingPathComponent("Workflows/w.lock"))
        let imported = try PaperflowProcess.run(["cache", "import", archive.path], in: other.root)
        #expect(imported.status == 0)
        #expect(imported.stdout.hasPrefix("imported 3 blobs ("))
        #expect(imported.stdout.hasSuffix(") and 3 action records; 0 blobs were already here; 0 rejected\n"))
        let rerun = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json"], in: other.root)
        #expect(rerun.stdout.contains("\"ran\":[]"))
        #expect(rerun.stdout.contains("\"cached\":[\"raw\",\"words\",\"export\"]"))
        #expect(try other.read("results/upper.txt") == "ONE TWO THREE\n")

        // One byte of the first blob changed: that blob and the record naming it are refused, the rest enters.
        var bytes = try Data(contentsOf: archive)
        bytes[512] ^= 0x20
        let tampered = project.root.appendingPathComponent("tampered.tar")
        try bytes.write(to: tampered)
        let fresh = try Self.project()
        defer { fresh.cleanUp() }
        let refused = try PaperflowProcess.run(["cache", "import", tampered.path], in: fresh.root)
        #expect(refused.status == 1)
        let name = listing.split(separator: "\n")[0]
        #expect(refused.stderr.hasPrefix("rejected \(name): its bytes hash to sha256:"))
        #expect(refused.stderr.contains("; not stored\n"))
        // Two records name that blob (words' output, passed through by export).
        #expect(refused.stdout == "imported 2 blobs (16 bytes) and 1 action records; 0 blobs were already here; 3 rejected\n")
        #expect(try PaperflowProcess.run(["cache", "verify"], in: fresh.root).stdout.hasSuffix("store is consistent\n"))

        // Cut inside the third blob, then inside a header: what arrived whole stays, and the error says where.
        try Data(try Data(contentsOf: archive).prefix(512 * 5 + 1)).write(to: tampered)
        let cut = try PaperflowProcess.run(["cache", "import", tampered.path], in: fresh.root)
        #expect(cut.status == 1)
        #expect(cut.stderr == "error: tampered.tar: ends inside \(listing.split(separator: "\n")[2]) (cut short?)\n")
        try Data(try Data(contentsOf: archive).prefix(512 * 4 + 100)).write(to: tampered)
        let torn = try PaperflowProcess.run(["cache", "import", tampered.path], in: fresh.root)
        #expect(torn.stderr == "error: tampered.tar: ends at byte 2048 without the end-of-archive blocks (cut short?)\n")
        #expect(try PaperflowProcess.run(["cache", "verify"], in: fresh.root).stdout.hasSuffix("store is consistent\n"))
    }

    @Test("a directory runs every workflow in it; a failed stage makes the exit status 1")
    func directoryAndExitStatus() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        try project.write("Workflows/v.yaml", """
            workflow: v
            stages:
              bad: {uses: shell@1, with: {cmd: "exit 4", outs: {out: o.txt}}}
            """)
        let both = try PaperflowProcess.run(["run", "Workflows/", "--keep-going"], in: project.root)
        #expect(both.status == 1)
        #expect(both.stderr.contains("FAILED   bad: command exited with status 4"))
        #expect(both.stdout.contains("v: 0 ran, 0 cached, 1 failed"))
        #expect(both.stdout.contains("w: 3 ran, 0 cached"))
        let status = try PaperflowProcess.run(["status"], in: project.root)
        #expect(status.stdout.contains("v: 1 of 1 stages to run"))
        #expect(status.stdout.contains("w: up to date"))
    }
}
