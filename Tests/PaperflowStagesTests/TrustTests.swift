import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The trust model (README, "What a cached output promises"): a stage reads exactly the bytes
/// its key was made from, outputs are regular files, spliced values never become shell code,
/// nothing follows a symlink out, and only a complete run as written updates the lock. Each
/// test here reproduces a failure seen before the change.
@Suite("Trust: keys, outputs, exports, locks")
struct TrustTests {
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    static func failures(_ record: RunRecord) -> [String] {
        record.stages.compactMap { stage in stage.status == .failed ? "\(stage.stage): \(stage.message ?? "")" : nil }
    }

    @Test("values spliced into a shell command with ${params.X} are passed literally; ${params.X:raw} splices code",
          arguments: ["x; touch pwned", "$(touch pwned)", "`touch pwned`", "it's a 'quote'", "two\nlines", "a && touch pwned"])
    func injection(value: String) throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        try project.write("Workflows/w.yaml", """
            workflow: w
            params: {value: "\(escaped)", code: "printf raw"}
            stages:
              echo:
                uses: shell@1
                with: {cmd: "printf '%s' ${params.value} > {outs.o}", outs: {o: o.txt}}
              raw:
                uses: shell@1
                with: {cmd: "${params.code:raw} > {outs.o}", outs: {o: o.txt}}
            """)
        let run = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(Self.failures(run.record))")
        #expect(try project.read("Artifacts/w/echo/o.txt") == value)
        #expect(try project.read("Artifacts/w/raw/o.txt") == "raw")
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("pwned").path))

        // The same value through --set (its value is YAML: double-quoted, as a user would write it).
        let again = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry, overrides: ["params.value=\"\(escaped) --set\""])
        #expect(again.summary.succeeded, "\(Self.failures(again.record))")
        #expect(try project.read("Artifacts/w/echo/o.txt") == value + " --set")
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("pwned").path))
    }

    @Test("a shell command sees its declared env and the documented allowlist, nothing else; the locale is keyed")
    func environment() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        setenv("PAPERFLOW_TEST_SECRET_TOKEN", "hunter2", 1)
        defer { unsetenv("PAPERFLOW_TEST_SECRET_TOKEN") }
        try project.writeWorkflow("w", stages: """
            env:
              uses: shell@1
              with: {cmd: "echo [$PAPERFLOW_TEST_SECRET_TOKEN] $DECLARED > {outs.o}; test -n \\"$PATH\\"", outs: {o: o.txt}, env: {DECLARED: "yes"}}
            """)
        let run = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(Self.failures(run.record))")
        #expect(try project.read("Artifacts/w/env/o.txt") == "[] yes\n")
        let ingredients = try #require(run.record.stages.first?.ingredients)
        let environment = ProcessInfo.processInfo.environment
        #expect(ingredients.environment == environment.filter { ShellQuoting.keyedEnvironment.contains($0.key) })
        #expect(ingredients.environment["PATH"] == nil && ingredients.environment["HOME"] == nil)
    }

    @Test("deps may name a folder, hashed as a tree: editing a file inside reruns the stage, an unchanged tree does not")
    func folderDeps() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("scripts/run.sh", "echo one\n")
        try project.write("scripts/lib/helper.sh", "echo helper\n")
        try project.writeWorkflow("w", stages: """
            s: {uses: shell@1, with: {cmd: "sh scripts/run.sh > {outs.o}", deps: [scripts], outs: {o: o.txt}}}
            """)
        let first = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(first.record.stages(.ran) == ["s"])
        #expect(try project.graph("Workflows/w.yaml", registry: BuiltinStages.registry).warnings.isEmpty)
        let again = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(again.record.stages(.cached) == ["s"])
        try project.write("scripts/lib/helper.sh", "echo changed\n")
        let edited = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(edited.record.stages(.ran) == ["s"])
        #expect(edited.record.stages.first?.ingredients?.files["scripts"] != first.record.stages.first?.ingredients?.files["scripts"])
    }

    @Test("a project file named in cmd but not in deps is a warning at the command, with the fix")
    func undeclaredScript() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("scripts/clean.py", "print(1)\n")
        try project.write("Workflows/w.yaml", """
            workflow: w
            stages:
              clean:
                uses: shell@1
                with: {cmd: "python3 scripts/clean.py > {outs.o}", outs: {o: o.txt}}
            """)
        let graph = try project.graph("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(graph.warnings.map(\.description) == [
            "Workflows/w.yaml:5:17: warning: cmd names project file 'scripts/clean.py', which is not in deps: editing it would not rerun this stage\n"
                + "  hint: add it: deps: [scripts/clean.py]",
        ])
    }

    @Test("a symlinked output is refused and changes no outside mode; a hard-linked one is copied, never the link")
    func linkedOutputs() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let secret = try project.write("secret.txt", "not for the store\n")
        chmod(secret.path, 0o600)
        try project.writeWorkflow("w", stages: """
            soft: {uses: shell@1, with: {cmd: "ln -s \(secret.path) {outs.o}", outs: {o: o.txt}}}
            """)
        let soft = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(!soft.summary.succeeded)
        #expect(Self.failures(soft.record).first?.contains("is a symbolic link") == true, "\(Self.failures(soft.record))")
        #expect(Self.mode(secret.path) == 0o600)
        let store = try project.store()
        #expect(store.action(for: try #require(soft.record.stages.first?.key)) == nil)
        #expect(store.check(ContentHasher.digest(of: Data("not for the store\n".utf8)), removeCorrupt: false).isMissing)

        try project.writeWorkflow("w", stages: """
            hard: {uses: shell@1, with: {cmd: "ln \(secret.path) {outs.o}", outs: {o: o.txt}}}
            """)
        let hard = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(hard.summary.succeeded, "\(Self.failures(hard.record))")
        #expect(Self.mode(secret.path) == 0o600)
        let blob = store.blobURL(try #require(hard.record.stages.first?.outputs?["o"]?.digest))
        #expect(FileSystem.identity(ofFileAt: blob.path)?.inode != FileSystem.identity(ofFileAt: secret.path)?.inode)
        #expect(try String(contentsOf: blob, encoding: .utf8) == "not for the store\n")
    }

    @Test("exports are checked when written: a symlink made during the run, Artifacts/, .git/, locks and workflow files are refused",
          arguments: [("results/out.txt", "results is a symbolic link"), ("Artifacts/x.txt", "Artifacts/ belongs to Paperflow"),
                      (".git/config", ".git/ belongs to Paperflow"), ("Workflows/w.lock", "workflow or lock file"),
                      ("Workflows/w.yaml", "workflow or lock file"), ("Workflows/other.yaml", "workflow or lock file")])
    func exportTargets(target: String, reason: String) throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let outside = project.root.appendingPathComponent("elsewhere", isDirectory: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try project.writeWorkflow("w", stages: """
            link: {uses: shell@1, with: {cmd: "ln -s \(outside.path) results && echo made > {outs.o}", outs: {o: o.txt}}}
            exported: {uses: io.export@1, inputs: {artifact: link.o}, with: {to: "\(target)"}}
            """)
        let workflowBefore = try project.read("Workflows/w.yaml")
        let run = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(!run.summary.succeeded)
        let message = Self.failures(run.record).joined()
        #expect(message.contains("refusing to export to '\(target)'") && message.contains(reason), "\(message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
        #expect(try project.read("Workflows/w.yaml") == workflowBefore)
    }

    @Test("removing a test project never follows a link: outside modes and files stay as they were")
    func cleanUpFollowsNoLink() throws {
        let tmpMode = Self.mode("/tmp")
        let outer = try TemporaryProject()
        defer { outer.cleanUp() }
        let keptDirectory = outer.root.appendingPathComponent("kept", isDirectory: true)
        try FileManager.default.createDirectory(at: keptDirectory, withIntermediateDirectories: true)
        chmod(keptDirectory.path, 0o700)
        let keptFile = try outer.write("kept/file.txt", "x")
        chmod(keptFile.path, 0o400)

        let project = try TemporaryProject()
        try FileManager.default.createSymbolicLink(atPath: project.root.appendingPathComponent("to-dir").path, withDestinationPath: keptDirectory.path)
        try FileManager.default.createSymbolicLink(atPath: project.root.appendingPathComponent("to-file").path, withDestinationPath: keptFile.path)
        try FileManager.default.createSymbolicLink(atPath: project.root.appendingPathComponent("to-tmp").path, withDestinationPath: "/tmp")
        let readOnly = try project.write("Artifacts/cas/ab/blob", "b")
        chmod(readOnly.path, 0o444)
        chmod(readOnly.deletingLastPathComponent().path, 0o555)
        project.cleanUp()
        #expect(!FileManager.default.fileExists(atPath: project.root.path))
        #expect(Self.mode(keptDirectory.path) == 0o700)
        #expect(Self.mode(keptFile.path) == 0o400)
        #expect(Self.mode("/tmp") == tmpMode)
    }

    @Test("a --set run, a failed run and an interrupted run leave the lock as it was; gc then keeps what it references")
    func lockWrittenOnlyByCompleteRuns() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/w.yaml", """
            workflow: w
            params: {word: hello, status: 0}
            stages:
              a: {uses: shell@1, with: {cmd: "echo ${params.word} > {outs.o}", outs: {o: o.txt}}}
              b: {uses: shell@1, inputs: {data: a.o}, with: {cmd: "cat {data} > {outs.o}; exit ${params.status}", outs: {o: o.txt}}}
            """)
        let first = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(first.summary.succeeded)
        let lock = try Data(contentsOf: project.root.appendingPathComponent("Workflows/w.lock"))
        let set = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry, overrides: ["params.word=bye"])
        #expect(set.summary.succeeded)
        #expect(try Data(contentsOf: project.root.appendingPathComponent("Workflows/w.lock")) == lock)
        try project.write("Workflows/w.yaml", try project.read("Workflows/w.yaml").replacingOccurrences(of: "status: 0", with: "status: 3"))
        let failed = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(!failed.summary.succeeded)
        #expect(try Data(contentsOf: project.root.appendingPathComponent("Workflows/w.lock")) == lock)

        let store = try project.store()
        _ = try store.collectGarbage(lockDirectory: project.root.appendingPathComponent("Workflows"), keepDays: 0, dryRun: false)
        let kept = try #require(try WorkflowLock.read(from: project.root.appendingPathComponent("Workflows/w.lock")))
        for entry in kept.stages.values {
            #expect(store.action(for: entry.key) != nil)
            for output in entry.outputs.values { #expect(FileSystem.identity(ofFileAt: store.blobURL(output.digest).path) != nil) }
        }
    }

    @Test("an unchanged lock is not re-encoded, but a lock edited by hand is rewritten by the next complete run")
    func lockStamp() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.writeWorkflow("w", stages: "a: {uses: shell@1, with: {cmd: \"echo a > {outs.o}\", outs: {o: a.txt}}}")
        _ = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        let url = project.root.appendingPathComponent("Workflows/w.lock")
        let written = try Data(contentsOf: url)
        let identity = FileSystem.identity(ofFileAt: url.path)
        _ = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(FileSystem.identity(ofFileAt: url.path) == identity)
        try (written + Data("\n\n".utf8)).write(to: url)
        _ = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(try Data(contentsOf: url) == written)
    }

    @Test("a file rewritten while the workflow reads it never gives a stored table other than its keyed content")
    func fileEditedDuringRead() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        func csv(_ value: Int) -> String { "a,b\n" + (0..<20_000).map { "\($0),\(value)" }.joined(separator: "\n") + "\n" }
        let contents = [csv(1), csv(22)]
        let digests = contents.map { ContentHasher.digest(of: Data($0.utf8)) }
        try project.write("data/t.csv", contents[0])
        try project.writeWorkflow("w", stages: "t: {uses: io.csv@2, with: {path: data/t.csv}}")
        let stop = CancellationFlag()
        let url = project.root.appendingPathComponent("data/t.csv")
        let writer = Thread {
            var i = 0
            while !stop.isCancelled {
                i += 1
                // In place, not by rename: a reader sees the bytes change under it.
                if let handle = try? FileHandle(forWritingTo: url) {
                    try? handle.truncate(atOffset: 0)
                    try? handle.write(contentsOf: Data(contents[i % 2].utf8))
                    try? handle.close()
                }
            }
        }
        writer.start()
        defer { stop.cancel() }
        var checked = 0, whole = 0
        for _ in 0..<40 where checked < 8 {
            guard let run = try? project.run("Workflows/w.yaml", registry: BuiltinStages.registry), run.summary.succeeded,
                  let stage = run.record.stages.first, stage.status == .ran, let key = stage.key, let ingredients = stage.ingredients,
                  let fileDigest = ingredients.files["data/t.csv"] else { continue }
            // The keyed bytes are in the store (the stage read that copy): the stored table must
            // be exactly what they parse to, whatever the writer was doing at the time.
            let store = try project.store()
            let keyed = try Data(contentsOf: store.blobURL(fileDigest))
            #expect(ContentHasher.digest(of: keyed) == fileDigest)
            let blob = try #require(store.action(for: key)?.outputs["table"])
            let expected = try CSVReader.read(text: String(decoding: keyed, as: UTF8.self), file: "t.csv").0
            let stored = try BinaryTableFormat.read(contentsOf: store.blobURL(blob.digest))
            #expect(stored.rowCount == expected.rowCount && stored.names == expected.names)
            for name in expected.names {
                let a = try stored.column(name), b = try expected.column(name)
                #expect((0..<expected.rowCount).allSatisfy { a[$0] == b[$0] }, "column \(name)")
            }
            if digests.contains(fileDigest) { whole += 1 }
            checked += 1
        }
        stop.cancel()
        #expect(checked > 0)
    }

    @Test("a file truncated while it is hashed is an error naming it, not a crash")
    func truncatedWhileHashed() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let url = project.root.appendingPathComponent("big.bin")
        #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 2 << 30)
        try handle.close()
        let truncator = Thread {
            usleep(20_000)
            truncate(url.path, 4096)
        }
        truncator.start()
        #expect {
            _ = try ContentHasher.digest(ofFileAt: url.path)
        } throws: { error in
            "\(error)" == "file '\(url.path)' changed while it was being read; run again"
        }
    }

    @Test("a file changed within a timestamp tick of its hash is hashed again next time (git's racy-clean rule)")
    func racyClean() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let store = try project.store()
        let url = try project.write("data/x.txt", "one")
        let path = url.path
        _ = try store.memo.digest(ofFileAt: path)
        #expect(store.memo.remembered(path, try #require(FileSystem.identity(ofFileAt: path))) == nil)
        // Backdating the mtime is not enough: the ctime is now (a chmod or touch in the same
        // tick must not be missed), so the file is still not remembered.
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
        _ = try store.memo.digest(ofFileAt: path)
        let identity = try #require(FileSystem.identity(ofFileAt: path))
        #expect(store.memo.remembered(path, identity) == nil)
    }

    @Test("temporary files of a killed write are reported as such, not as corruption, and the next run clears them")
    func interruptedWrites() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let store = try project.store()
        let leftover = try project.write("Artifacts/cas/ab/.cdef.tmp-4242-7", "half")
        // What the killed run left of its own: its scratch folder.
        try FileManager.default.createDirectory(at: store.temporaryDirectory.appendingPathComponent("20261206T000000.000Z-4242"),
                                                withIntermediateDirectories: true)
        let report = store.verify(repair: false)
        #expect(report.isConsistent)
        #expect(report.interruptedWrites == [leftover.path])
        store.clearTemporaryFiles()
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
    }
}

/// DESIGN.md's promise for data: every silent change is either a located error or a counted,
/// reported change.
@Suite("Trust: no silent change to data")
struct SilentDataTests {
    @Test("bytes that are not UTF-8 are an error at their line and column, not replacement characters")
    func invalidUTF8() throws {
        let bytes: [UInt8] = Array("city,value\nNanjing,1\ncaf".utf8) + [0xE9] + Array(",2\n".utf8)
        #expect {
            _ = try bytes.withUnsafeBytes { try CSVReader.read(bytes: $0, file: "gbk.csv", options: CSVOptions()) }
        } throws: { error in
            "\(error)" == "gbk.csv:3:4: error: bytes 0xE9 0x2C 0x32 0xA are not UTF-8 text (the file may be in GBK, GB18030 or Latin-1)\n"
                + "  hint: convert the file to UTF-8, e.g. iconv -f GB18030 -t UTF-8 gbk.csv > converted.csv, and read that"
        }
        // Valid multi-byte text around it is untouched, in any slice of a large file.
        let city = "南京,1\n"
        let large = "city,value\n" + String(repeating: city, count: 300_000)
        let (table, _) = try CSVReader.read(text: large, file: "ok.csv")
        #expect(table.rowCount == 300_000)
    }

    @Test("a number beyond a double's range is a located error, in the inference sample or after it, not a text column",
          arguments: [10_000, 1])
    func outOfRange(inferRows: Int) throws {
        var options = CSVOptions()
        options.inferenceRows = inferRows
        #expect {
            _ = try CSVReader.read(text: "x,y\n1,2.5\n3,1e400\n", file: "big.csv", options: options)
        } throws: { error in
            "\(error)" == "big.csv:3:3: error: '1e400' in column 'y' is beyond the range of a number (±1.8e308)\n"
                + "  hint: fix the value or mark it missing; to keep it as written, declare the column as string"
        }
        options.schema = ["y": .string]
        let (table, _) = try CSVReader.read(text: "x,y\n1,2.5\n3,1e400\n", file: "big.csv", options: options)
        #expect(table["y"]?[1] == .string("1e400"))
    }

    @Test("NaN, nan and NAN are all missing; an empty header cell is named and reported")
    func missingAndEmptyHeader() throws {
        let (table, report) = try CSVReader.read(text: ",v\n1,1.5\n2,nan\n3,NaN\n4,NAN\n", file: "p.csv")
        #expect(table.names == ["column_1", "v"])
        #expect(table["v"]?.type == .double)
        #expect((1..<4).allSatisfy { table["v"]?[$0] == .missing })
        #expect(report.renamedColumns == ["column_1 (the header cell at p.csv:1:1 is empty)"])

        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/p.csv", ",v\n1,1.5\n2,nan\n")
        try project.writeWorkflow("w", stages: "p: {uses: io.csv@2, with: {path: data/p.csv}}")
        let run = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded)
        #expect(run.events.warnings == ["column named column_1 (the header cell at data/p.csv:1:1 is empty)"])
        #expect(try project.read("Artifacts/w/p/report.json").contains("column_1 (the header cell at data/p.csv:1:1 is empty)"))
    }

    @Test("density with a presence input matches years as numbers: 2005 and 2005.0 are the same year")
    func yearsMatchAsNumbers() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/firms.csv", "firm,product,value,year\nF1,P1,1,2005\nF1,P2,1,2005\nF2,P2,1,2005\nF2,P3,1,2005\nF3,P1,1,2005\nF3,P3,1,2005\n")
        try project.write("data/int.csv", "firm,product,value,year\nF1,P3,2,2005\nF2,P1,1,2005\n")
        try project.write("data/dec.csv", "firm,product,value,year\nF1,P3,2,2005.0\nF2,P1,1,2005.0\n")
        try project.writeWorkflow("w", stages: """
            firms: {uses: io.csv@2, with: {path: data/firms.csv}}
            int: {uses: io.csv@2, with: {path: data/int.csv}}
            dec: {uses: io.csv@2, with: {path: data/dec.csv}}
            by_int: {uses: relatedness.density@1, inputs: {table: firms.table, presence: int.table}, with: {unit: firm, year: year, presence: positive}}
            by_dec: {uses: relatedness.density@1, inputs: {table: firms.table, presence: dec.table}, with: {unit: firm, year: year, presence: positive}}
            """)
        let run = try project.run("Workflows/w.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let outputs = Dictionary(uniqueKeysWithValues: run.record.stages.compactMap { stage in stage.outputs?["table"].map { (stage.stage, $0.digest) } })
        let a = try BinaryTableFormat.read(contentsOf: try project.store().blobURL(#require(outputs["by_int"])))
        #expect(a.rowCount > 0)
        #expect(outputs["by_int"] == outputs["by_dec"])
    }
}

extension ArtifactStore.BlobState {
    var isMissing: Bool { if case .missing = self { return true } else { return false } }
}
