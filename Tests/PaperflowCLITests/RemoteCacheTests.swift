import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The remote cache against a real server: Debian's nginx with WebDAV PUT on 127.0.0.1, serving
/// the Bazel layout (`/cas/<sha256>`, `/ac/<key>`), and the same through `file://`.
@Suite("Remote cache", .serialized)
struct RemoteCacheTests {
    /// An nginx serving `root` with PUT enabled, on a free loopback port.
    final class Nginx {
        let directory: URL
        let root: URL
        let port: Int
        let process: Process

        init() throws {
            let nginx = try ExternalTool.require("nginx")
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-nginx-\(UUID().uuidString)")
            root = directory.appendingPathComponent("root")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            port = try Self.freePort()
            let temporary = directory.appendingPathComponent("tmp").path
            let config = """
                \(getuid() == 0 ? "user root;" : "")
                worker_processes 1;
                daemon off;
                pid \(directory.path)/nginx.pid;
                error_log \(directory.path)/error.log;
                events { worker_connections 64; }
                http {
                  access_log off;
                  client_body_temp_path \(temporary)/body;
                  proxy_temp_path \(temporary)/proxy;
                  fastcgi_temp_path \(temporary)/fastcgi;
                  uwsgi_temp_path \(temporary)/uwsgi;
                  scgi_temp_path \(temporary)/scgi;
                  client_max_body_size 0;
                  server {
                    listen 127.0.0.1:\(port);
                    root \(root.path);
                    location / {
                      dav_methods PUT;
                      create_full_put_path on;
                      dav_access user:rw group:r all:r;
                    }
                  }
                }
                """
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            let configURL = directory.appendingPathComponent("nginx.conf")
            try Data(config.utf8).write(to: configURL)
            process = Process()
            process.executableURL = nginx
            process.arguments = ["-c", configURL.path, "-e", directory.appendingPathComponent("error.log").path]
            try process.run()
            // Ready when it accepts a connection.
            for _ in 0..<100 where !Self.accepts(port) { usleep(50_000) }
            guard Self.accepts(port) else {
                throw ExternalTool.ToolError(message: "nginx did not start: \((try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? "")")
            }
        }

        var url: String { "http://127.0.0.1:\(port)/cache" }

        /// Stops the server (the pid file's master, and with it its worker).
        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }

        deinit {
            stop()
            try? FileManager.default.removeItem(at: directory)
        }

        static func freePort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { throw ExternalTool.ToolError(message: "cannot find a free port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        static func accepts(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }
    }

    /// A project of three chained shell stages; `b`'s command can be given (its output stays "b").
    static func project(bCommand: String = "cat {data} > {outs.o}; echo b >> {outs.o}") throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.write("Workflows/w.yaml", """
            workflow: w
            stages:
              a: {uses: shell@1, with: {cmd: "echo a > {outs.o}", outs: {o: a.txt}}}
              b: {uses: shell@1, inputs: {data: a.o}, with: {cmd: "\(bCommand)", outs: {o: b.txt}}}
              c: {uses: shell@1, inputs: {data: b.o}, with: {cmd: "cat {data} > {outs.o}; echo c >> {outs.o}", outs: {o: c.txt}}}
            """)
        return project
    }

    static func copyLock(from source: TemporaryProject, to target: TemporaryProject) throws {
        try FileManager.default.copyItem(at: source.root.appendingPathComponent("Workflows/w.lock"),
                                         to: target.root.appendingPathComponent("Workflows/w.lock"))
    }

    static func started(_ jsonLines: String) -> [String] {
        jsonLines.split(separator: "\n").filter { $0.contains("\"event\":\"stageStarted\"") }.compactMap { line in
            line.range(of: #""stage":"([a-z]+)""#, options: .regularExpression).map { String(line[$0].dropFirst(9).dropLast()) }
        }
    }

    @Test("push to nginx, pull into an empty store: the run computes nothing; a corrupted object is rejected; the server going away mid-run makes the run compute")
    func nginxRoundTrip() throws {
        let server = try Nginx()
        let source = try Self.project(), clone = try Self.project()
        defer { source.cleanUp(); clone.cleanUp() }
        #expect(try PaperflowProcess.run(["run", "Workflows/w.yaml"], in: source.root).status == 0)
        let pushed = try PaperflowProcess.run(["cache", "push", "--remote", server.url], in: source.root)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.stdout == "pushed 3 action records and 12 bytes of blobs to \(server.url); 0 were already there\n")
        let again = try PaperflowProcess.run(["cache", "push", "--remote", server.url], in: source.root)
        #expect(again.stdout == "pushed 0 action records and Zero KB of blobs to \(server.url); 3 were already there\n")
        // The Bazel layout on the server: blobs by digest, records by key.
        let lock = try #require(try WorkflowLock.read(from: source.root.appendingPathComponent("Workflows/w.lock")))
        for entry in lock.stages.values {
            #expect(FileManager.default.fileExists(atPath: server.root.appendingPathComponent("cache/ac/\(entry.key.hex)").path))
            for output in entry.outputs.values {
                #expect(FileManager.default.fileExists(atPath: server.root.appendingPathComponent("cache/cas/\(output.digest.hex)").path))
            }
        }

        // The clone has the lock file (committed) and an empty store.
        try Self.copyLock(from: source, to: clone)
        let pulled = try PaperflowProcess.run(["cache", "pull", "--remote", server.url], in: clone.root)
        #expect(pulled.stdout == "pulled 3 action records and 12 bytes of blobs from \(server.url); 0 were already here; 0 rejected\n")
        let rerun = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json"], in: clone.root)
        #expect(Self.started(rerun.stdout) == [])
        #expect(rerun.stdout.contains("\"cached\":[\"a\",\"b\",\"c\"]"))
        #expect(try clone.read("Artifacts/w/c/c.txt") == "a\nb\nc\n")

        // One object changed on the server: refused on arrival, never stored; the rest arrives.
        let bDigest = try #require(lock.stages["b"]?.outputs["o"]?.digest)
        let tampered = server.root.appendingPathComponent("cache/cas/\(bDigest.hex)")
        chmod(tampered.path, 0o644)
        try Data("a\nB\n".utf8).write(to: tampered)
        let third = try Self.project()
        defer { third.cleanUp() }
        try Self.copyLock(from: source, to: third)
        let refused = try PaperflowProcess.run(["cache", "pull", "--remote", server.url], in: third.root)
        #expect(refused.status == 1)
        let found = ContentHasher.digest(of: Data("a\nB\n".utf8))
        #expect(refused.stderr == "rejected w/b: \(server.url)/cas/\(bDigest.hex): its bytes hash to \(found), not to \(bDigest); rejected, not stored\n")
        #expect(refused.stdout == "pulled 2 action records and 8 bytes of blobs from \(server.url); 0 were already here; 1 rejected\n")
        #expect(!FileManager.default.fileExists(atPath: try third.store().blobURL(bDigest).path))
        #expect(!FileManager.default.fileExists(atPath: try third.store().blobURL(found).path))
        // A read-through run recomputes b (reporting the rejection) and uploads the good bytes again.
        let repaired = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--remote", server.url, "--remote-upload"], in: third.root)
        #expect(repaired.status == 0)
        #expect(repaired.stderr.contains("warning: b: \(server.url)/cas/\(bDigest.hex): its bytes hash to \(found), not to \(bDigest); rejected, not stored\n"))
        #expect(try third.read("Artifacts/w/c/c.txt") == "a\nb\nc\n")

        // Mid-run, the server goes away (b's command stops it): a is fetched, b and c are computed.
        let pidFile = server.directory.appendingPathComponent("nginx.pid").path
        let fourth = try Self.project(bCommand: "kill $(cat \(pidFile)); sleep 1; cat {data} > {outs.o}; echo b >> {outs.o}")
        defer { fourth.cleanUp() }
        // Its lock names the same a (its command is unchanged), which vouches for the remote record.
        try Self.copyLock(from: source, to: fourth)
        let run = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json", "--remote", server.url], in: fourth.root)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(Self.started(run.stdout) == ["b", "c"])
        #expect(run.stdout.contains("computing locally and not using the remote cache for the rest of this run"))
        #expect(try fourth.read("Artifacts/w/c/c.txt") == "a\nb\nc\n")
        let status = try PaperflowProcess.run(["status", "--ci"], in: fourth.root)
        #expect(status.stdout.hasPrefix("w: 1 hits (0 local, 1 remote), 2 misses (run "))
        #expect(status.stdout.hasSuffix("\n  miss  b\n  miss  c\ncache: 1 hits (1 remote), 2 misses\n"))
    }

    @Test("a file:// remote: run --remote-upload uploads signed records as it goes, a fresh clone with the team's secret fetches everything")
    func directoryRemote() throws {
        let source = try Self.project(), clone = try Self.project()
        defer { source.cleanUp(); clone.cleanUp() }
        let shared = source.root.appendingPathComponent("shared-cache")
        let remote = "file://\(shared.path)"
        let secret = ["PAPERFLOW_REMOTE_SECRET": "team secret"]
        let first = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json", "--remote", remote, "--remote-upload"], in: source.root,
                                             environment: secret)
        #expect(Self.started(first.stdout) == ["a", "b", "c"])
        let blobs = try FileManager.default.contentsOfDirectory(atPath: shared.appendingPathComponent("cas").path)
        #expect(blobs.count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: shared.appendingPathComponent("ac").path).count == 3)
        let second = try PaperflowProcess.run(["run", "Workflows/w.yaml", "--json"], in: clone.root,
                                              environment: ["PAPERFLOW_REMOTE": remote, "PAPERFLOW_REMOTE_SECRET": "team secret"])
        #expect(Self.started(second.stdout) == [])
        #expect(try clone.read("Artifacts/w/c/c.txt") == "a\nb\nc\n")
        let status = try PaperflowProcess.run(["status", "--ci"], in: clone.root)
        #expect(status.stdout.hasSuffix("cache: 3 hits (3 remote), 0 misses\n"))
    }
}
