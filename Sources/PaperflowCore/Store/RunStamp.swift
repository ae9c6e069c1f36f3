import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a run that found nothing to do consulted, by stat, so the same command can find the same
/// again without loading the workflow — Ninja's and Make's no-op: every path's stat is compared
/// with the one recorded, and only if all are equal is the run replayed.
///
/// A stamp is written only by a complete run of the workflow as written in which every stage was
/// cached and nothing was warned about, and only when no path it records changed in the two
/// seconds before that run started (git's racy-clean rule: a change within a timestamp tick of
/// the stat cannot be seen in it). It records the workflow file; the project's `Plugins/` tree
/// (or its absence); every stage's input files and folders (each file and folder in a tree, so an
/// added file changes its folder's stat); every action record, output blob and view the run
/// used; the files `io.export` wrote; the lock file and the report. The stamp's name is the
/// SHA-256 of everything else a run depends on — the project folder, the workflow path, the
/// command's arguments, the environment variables a run reads and the build (version,
/// fingerprint, the executable's stat) — so any other command, setting or binary looks for
/// another stamp. A stamp that does not decode exactly
/// is ignored; the stamp of a command is removed before that command runs in full.
///
/// Replay prints what the run printed (the stages as cached, in the recorded order) and appends a
/// run record with the recorded stage lines, so `status`, `diff last` and `gc` see the run.
public struct RunStamp: Sendable {
    /// One recorded path and what stat said (nil: the path did not exist).
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var identity: PathIdentity?
    }

    /// A file's or a folder's stat tuple.
    public struct PathIdentity: Sendable, Hashable {
        public var mode: UInt32
        public var device: UInt64
        public var inode: UInt64
        public var size: Int64
        public var mtimeNanoseconds: Int64
        public var ctimeNanoseconds: Int64
    }

    /// The workflow's name.
    public var workflow: String
    /// The workflow file as the run named it (the run record's `file`).
    public var file: String
    /// The stages in the order the run reported them, with their keys.
    public var stages: [(name: String, key: Digest)]
    /// The run record's stage lines, as written (each ends with a newline).
    public var recordLines: Data
    /// The recorded paths.
    public var entries: [Entry]

    public init(workflow: String, file: String, stages: [(name: String, key: Digest)], recordLines: Data, entries: [Entry]) {
        self.workflow = workflow
        self.file = file
        self.stages = stages
        self.recordLines = recordLines
        self.entries = entries
    }

    static let magic = "PFSTAMP1"
    /// Paths changed this close before a run are not stamped (the memo's window).
    static let racyWindowNanoseconds: Int64 = 2_000_000_000

    // MARK: Names

    /// The stamp file of a command: the store's `stamps/` folder, named by the SHA-256 of the
    /// project folder, the workflow, the arguments, the variables a run reads and the build.
    public static func url(storeRoot: URL, projectRoot: String, workflowPath: String, arguments: [String],
                           environment: [String: String], build: String) -> URL {
        var text = "\(magic)\n\(projectRoot)\n\(workflowPath)\n\(build)\n"
        for argument in arguments { text += "arg \(argument)\n" }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where readsEnvironment(name) {
            text += "env \(name)=\(value)\n"
        }
        return storeRoot.appendingPathComponent("stamps", isDirectory: true).appendingPathComponent(ContentHasher.digest(of: Data(text.utf8)).hex)
    }

    /// The variables a run reads: the keyed locale and time zone, every `PAPERFLOW_` setting, and
    /// PATH (where plugins' interpreters are found). The rest of the environment (a terminal's or a
    /// test harness's) does not reach keys or behaviour, and would only scatter the stamps.
    static func readsEnvironment(_ name: String) -> Bool {
        ShellQuoting.keyedEnvironment.contains(name) || name.hasPrefix("LC_") || name.hasPrefix("PAPERFLOW_") || name == "PATH"
    }

    // MARK: Stat

    /// The stat tuple of `path` (following a link, as hashing does), or nil when it does not exist.
    public static func identity(of path: String) -> PathIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let (mtime, ctime) = FileSystem.times(info)
        return PathIdentity(mode: UInt32(info.st_mode), device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
                            size: Int64(info.st_size), mtimeNanoseconds: mtime, ctimeNanoseconds: ctime)
    }

    /// `path` and, for a folder, everything under it (folders too: their stat changes when an
    /// entry is added or removed), without following links inside it.
    public static func tree(_ path: String) -> [String] {
        var paths = [path]
        guard FileSystem.isDirectory(path) else { return paths }
        var pending = [path]
        while let folder = pending.popLast() {
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
                let child = folder + "/" + name
                paths.append(child)
                if FileSystem.isDirectory(child) { pending.append(child) }
            }
        }
        return paths
    }

    /// Stats `paths` for a stamp of a run that started at `runStarted` (seconds); nil when one
    /// of them changed within the racy window before the run (or since it started).
    public static func entries(for paths: [String], runStarted: Double) -> [Entry]? {
        let limit = Int64(runStarted * 1e9) - racyWindowNanoseconds
        var seen: Set<String> = []
        var entries: [Entry] = []
        entries.reserveCapacity(paths.count)
        for path in paths where seen.insert(path).inserted {
            guard !path.contains("\n") else { return nil }
            let identity = identity(of: path)
            if let identity, identity.mtimeNanoseconds >= limit || identity.ctimeNanoseconds >= limit { return nil }
            entries.append(Entry(path: path, identity: identity))
        }
        return entries
    }

    /// Whether every recorded path stats as recorded.
    public var holds: Bool {
        entries.allSatisfy { Self.identity(of: $0.path) == $0.identity }
    }

    /// The paths a complete no-op run of `graph` consulted: see the type's description.
    public static func consulted(graph: StageGraph, entries: [String: WorkflowLock.Entry], store: ArtifactStore, projectRoot: URL,
                                 workflowURL: URL, lockURL: URL, reportURL: URL) -> [String] {
        let root = projectRoot.path
        var paths = [workflowURL.path, lockURL.path, reportURL.path]
        paths += tree(root + "/Plugins")
        for stage in graph.stages {
            for file in stage.fileDependencies { paths += tree(root + "/" + file) }
            for materialization in stage.materializations { paths.append(root + "/" + materialization.path) }
            guard let entry = entries[stage.name] else { continue }
            paths.append(store.actionURL(entry.key).path)
            for output in entry.outputs.values.sorted(by: { $0.fileName < $1.fileName }) {
                paths.append(store.blobURL(output.digest).path)
                paths.append("\(store.rootPath)/\(graph.workflowName)/\(ArtifactStore.safeFileName(stage.name))/\(output.fileName)")
            }
        }
        return paths
    }

    /// Appends the run record of a replay to `store`'s runs folder: a header for this run, the
    /// recorded stage lines, a footer. Returns the run id and the record's file.
    public func writeRecord(runsDirectory: URL, started: Double, jobs: Int, build: BuildIdentity) throws -> (runID: String, url: URL) {
        let runID = ArtifactStore.newRunID()
        let url = runsDirectory.appendingPathComponent("\(runID).jsonl")
        let writer = try RunRecordWriter(url: url, header: RunHeader(
            runID: runID, workflow: workflow, file: file, started: started, host: FileSystem.hostName,
            jobs: jobs, overrides: [], paperflow: build, experiment: nil))
        try writer.appendRaw(recordLines)
        try writer.finish(RunFooter(finished: Date().timeIntervalSince1970, succeeded: true, counts: [
            "ran": 0, "cached": stages.count, "failed": 0, "skipped": 0, "cancelled": 0,
        ]))
        return (runID, url)
    }

    /// The stage lines of the run record at `url` (between its header and its footer, as written).
    public static func stageLines(ofRecordAt url: URL) throws -> Data {
        let data = try Data(contentsOf: url)
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
        guard lines.count >= 2 else { return Data() }
        var result = Data()
        for line in lines.dropFirst().dropLast() { result.append(line); result.append(0x0A) }
        return result
    }

    // MARK: Encoding
    //
    // A line format read by byte:
    //   PFSTAMP1 <workflow>
    //   f <workflow file>
    //   s <key hex> <stage>                       a stage, in the order reported
    //   p <mode> <dev> <ino> <size> <mtime> <ctime> <path>     (a path that existed)
    //   a <path>                                              (a path that did not)
    //   r <byte count>\n<the run record's stage lines>

    public func encoded() -> Data {
        var text = "\(Self.magic) \(workflow)\nf \(file)\n"
        for stage in stages { text += "s \(stage.key.hex) \(stage.name)\n" }
        for entry in entries {
            if let id = entry.identity {
                text += "p \(id.mode) \(id.device) \(id.inode) \(id.size) \(id.mtimeNanoseconds) \(id.ctimeNanoseconds) \(entry.path)\n"
            } else {
                text += "a \(entry.path)\n"
            }
        }
        text += "r \(recordLines.count)\n"
        return Data(text.utf8) + recordLines
    }

    /// The stamp in `data`, or nil unless it decodes exactly.
    public static func decode(_ data: Data) -> RunStamp? {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> RunStamp? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var at = 0
            func line() -> Substring? {
                guard let end = bytes[at...].firstIndex(of: 0x0A) else { return nil }
                defer { at = end + 1 }
                return Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[at..<end]), as: UTF8.self))
            }
            guard let head = line(), head.hasPrefix(magic + " "), let file = line(), file.hasPrefix("f ") else { return nil }
            var stamp = RunStamp(workflow: String(head.dropFirst(magic.count + 1)), file: String(file.dropFirst(2)),
                                 stages: [], recordLines: Data(), entries: [])
            while let text = line() {
                let fields = text.split(separator: " ", maxSplits: text.hasPrefix("p ") ? 7 : 2, omittingEmptySubsequences: false)
                switch fields.first {
                case "s":
                    guard fields.count == 3, let key = Digest(hex: String(fields[1])) else { return nil }
                    stamp.stages.append((String(fields[2]), key))
                case "p":
                    guard fields.count == 8, let mode = UInt32(fields[1]), let device = UInt64(fields[2]), let inode = UInt64(fields[3]),
                          let size = Int64(fields[4]), let mtime = Int64(fields[5]), let ctime = Int64(fields[6]) else { return nil }
                    stamp.entries.append(Entry(path: String(fields[7]), identity: PathIdentity(
                        mode: mode, device: device, inode: inode, size: size, mtimeNanoseconds: mtime, ctimeNanoseconds: ctime)))
                case "a":
                    guard text.count > 2 else { return nil }
                    stamp.entries.append(Entry(path: String(text.dropFirst(2)), identity: nil))
                case "r":
                    guard fields.count == 2, let count = Int(fields[1]), count == bytes.count - at else { return nil }
                    stamp.recordLines = Data(UnsafeBufferPointer(rebasing: bytes[at...]))
                    return stamp
                default:
                    return nil
                }
            }
            return nil
        }
    }

    /// Reads the stamp at `url`; nil when there is none or it does not decode.
    public static func read(from url: URL) -> RunStamp? {
        FileManager.default.contents(atPath: url.path).flatMap(decode)
    }

    /// Writes the stamp (by rename: never half-written).
    public func write(to url: URL) throws {
        try FileSystem.makeDirectory(url.deletingLastPathComponent())
        try FileSystem.writeAtomically(encoded(), to: url)
    }
}
