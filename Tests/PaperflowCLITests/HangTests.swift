import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Nothing holds a run: a remote that trickles or never answers, a child that ignores SIGTERM,
/// a command that prints a gigabyte. Servers here are on loopback, started and stopped by the
/// test, with bounded lifetimes.
@Suite("Hangs and runaway output", .serialized)
struct HangTests {
    /// A TCP server on 127.0.0.1 that reads a request and then answers one byte every
    /// `interval` seconds (or never, with `interval` 0); it exits by itself after `lifetime` s.
    final class SlowServer {
        let process = Process()
        let port: Int

        init(interval: Double, lifetime: Double = 40) throws {
            let script = """
                import socket, sys, threading, time
                interval, lifetime = float(sys.argv[1]), float(sys.argv[2])
                server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                server.bind(("127.0.0.1", 0)); server.listen(16)
                print(server.getsockname()[1], flush=True)
                def serve(conn):
                    try:
                        conn.recv(65536)
                        for byte in b"HTTP/1.1 200 OK\\r\\nContent-Length: 1000\\r\\n\\r\\n" + b"x" * 1000:
                            if interval == 0: time.sleep(lifetime)
                            time.sleep(interval); conn.sendall(bytes([byte]))
                    except OSError: pass
                def accept():
                    while True:
                        conn, _ = server.accept(); threading.Thread(target=serve, args=(conn,), daemon=True).start()
                threading.Thread(target=accept, daemon=True).start()
                time.sleep(lifetime)
                """
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, String(interval), String(lifetime)]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw CocoaError(.fileReadCorruptFile) }
            self.port = port
        }

        deinit { process.terminate() }
    }

    @Test("a remote that trickles a byte every 2 s: the run gives it up at its deadline and computes locally")
    func tricklingRemote() throws {
        let server = try SlowServer(interval: 2)
        let project = try RemoteCacheTests.project()
        defer { project.cleanUp() }
        let started = Date()
        let run = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json", "--remote", "http://127.0.0.1:\(server.port)"],
                                           in: project.root, environment: ["PAPERFLOW_REMOTE_TIMEOUT": "3"], timeout: 60)
        let seconds = Date().timeIntervalSince(started)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(seconds < 10, "took \(seconds) s")
        #expect(RemoteCacheTests.started(run.stdout) == ["a", "b", "c"])
        #expect(run.stdout.contains("no complete answer within 3 s") || run.stdout.contains("nothing for 3 s"), "\(run.stdout)")
    }

    @Test("Ctrl-C while a remote does not answer exits 130 within 2 s")
    func interruptDuringTransfer() throws {
        let server = try SlowServer(interval: 0)
        let project = try RemoteCacheTests.project()
        defer { project.cleanUp() }
        let run = try PaperflowProcess(["run", "Workflows/w.yaml", "--remote", "http://127.0.0.1:\(server.port)"], in: project.root)
        usleep(1_500_000)
        let sent = Date()
        run.send(SIGINT)
        let status = run.wait(timeout: 20)
        #expect(status == 130, "\(run.stderr)")
        #expect(Date().timeIntervalSince(sent) < 2)
    }

    @Test("a child that ignores SIGTERM is killed after the grace period; SIGTERM to paperflow exits 143 and leaves the lock as it was")
    func termIgnoringChild() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let workflow = """
            workflow: w
            params: {mode: quick}
            stages:
              stubborn: {uses: shell@1, with: {cmd: "if [ ${params.mode} = stubborn ]; then trap '' TERM; echo $$ > pid.txt; while true; do sleep 0.1; done; fi; echo done > {outs.o}", outs: {o: o.txt}}}
            """
        try project.write("Workflows/w.yaml", workflow)
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml"], in: project.root).status == 0)
        let lock = try Data(contentsOf: project.root.appendingPathComponent("Workflows/w.lock"))
        try project.write("Workflows/w.yaml", workflow.replacingOccurrences(of: "mode: quick", with: "mode: stubborn"))
        let run = try PaperflowProcess(["run", "Workflows/w.yaml"], in: project.root)
        let pidFile = project.root.appendingPathComponent("pid.txt")
        #expect(PaperflowProcess.waitUntil(timeout: 30) { ((try? String(contentsOf: pidFile, encoding: .utf8)) ?? "").hasSuffix("\n") })
        let child = pid_t(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        let sent = Date()
        run.send(SIGTERM)
        let status = run.wait(timeout: 30)
        let seconds = Date().timeIntervalSince(sent)
        #expect(status == 143, "\(run.stderr)")
        #expect(seconds >= ChildProcess.killGrace - 0.5 && seconds < ChildProcess.killGrace + 2, "took \(seconds) s")
        #expect(kill(child, 0) != 0, "the TERM-ignoring shell \(child) is still running")
        #expect(try Data(contentsOf: project.root.appendingPathComponent("Workflows/w.lock")) == lock)
    }

    @Test("a command printing 1 GiB keeps paperflow under 100 MB; its log keeps the head and the tail")
    func gigabyteOfOutput() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.writeWorkflow("w", stages: """
            loud: {uses: shell@1, with: {cmd: "echo first; head -c 1073741824 /dev/zero | tr '\\\\0' x; echo; echo last; exit 3", outs: {o: o.txt}}}
            """)
        // paperflow runs under python, which reports its largest child's peak RSS (head and tr are small).
        let wrapper = "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            + "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", wrapper, Fixtures.paperflowExecutable.path, "run", "Workflows/w.yaml"]
        process.currentDirectoryURL = project.root
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = text.split(separator: "\n").last?.split(separator: " ").compactMap { Int($0) } ?? []
        #expect(fields.count == 2 && fields[0] == 1, "\(text)")
        let peakKiB = fields.last ?? Int.max
        #expect(peakKiB < 100_000, "peak RSS \(peakKiB) KiB")
        let log = project.root.appendingPathComponent("Artifacts/w/loud.log")
        let size = try #require(FileSystem.identity(ofFileAt: log.path)?.size)
        #expect(size < Int64(ChildProcess.logHeadBytes + ChildProcess.logTailBytes + 200))
        let handle = try FileHandle(forReadingFrom: log)
        #expect(String(decoding: try handle.read(upToCount: 6) ?? Data(), as: UTF8.self) == "first\n")
        try handle.seek(toOffset: UInt64(ChildProcess.logHeadBytes))
        let marker = String(decoding: try handle.read(upToCount: 200) ?? Data(), as: UTF8.self)
        try handle.close()
        #expect(marker.contains("bytes of output not kept; the last 1048576 follow]"), "\(marker)")
        #expect(ChildProcess.tail(of: log, lines: 2) == "last\n")
    }
}
