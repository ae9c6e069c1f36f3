import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow cache`: operations on the artifact store itself.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Operations on the artifact store.",
        subcommands: [VerifyCommand.self, ExportCommand.self, ImportCommand.self, PushCommand.self, PullCommand.self]
    )

    /// The lock files of `workflows` (default: Workflows/); a workflow without one is reported and left out.
    static func locks(_ workflows: [String], options: ProjectOptions, console: Console, verb: String) throws -> [WorkflowLock] {
        let paths = workflows.isEmpty ? [options.projectRoot.appendingPathComponent("Workflows").path] : workflows
        var locks: [WorkflowLock] = []
        for path in try WorkflowSession.workflowPaths(paths) {
            guard let lock = try WorkflowLock.read(from: WorkflowLock.url(forWorkflowAt: URL(fileURLWithPath: path))) else {
                console.err("warning: \(path) has no lock file (run it first); nothing of it is \(verb)")
                continue
            }
            locks.append(lock)
        }
        return locks
    }

    /// Opens `--remote`, printing a malformed URL's problem.
    static func remote(_ text: String, console: Console, cancellation: CancellationFlag? = nil) throws -> any RemoteCache {
        do { return try RemoteCaches.open(text, cancellation: cancellation) } catch {
            console.err("error: \(error)")
            throw ExitCode(1)
        }
    }

    /// A push or pull of the locks of `workflows` under the store lock; an unreachable remote exits 1.
    static func transfer(_ remote: String, _ workflows: [String], options: ProjectOptions, verb: String,
                         _ body: (ArtifactStore, [WorkflowLock], any RemoteCache) throws -> RemoteTransfer.Report) throws
        -> (RemoteTransfer.Report, String) {
        let console = Console.shared
        let locks = try locks(workflows, options: options, console: console, verb: verb)
        let cache = try self.remote(remote, console: console)
        let lock = try options.lockStore(command: "paperflow cache \(verb)", wait: true, console: console)
        defer { withExtendedLifetime(lock) {} }
        do {
            return (try body(try ArtifactStore(root: options.storeRoot), locks, cache), cache.location)
        } catch {
            console.err("error: \(error)")
            throw ExitCode(1)
        }
    }

    /// Says which stages were kept on this machine.
    static func reportConfidential(_ stages: [String], verb: String) {
        guard !stages.isEmpty else { return }
        Console.shared.err("note: \(stages.count) confidential stage\(stages.count == 1 ? "" : "s") not \(verb) (their outputs never leave this machine): "
                           + stages.joined(separator: ", "))
    }

    static func bytes(_ count: Int64) -> String { ByteCountFormatter.string(fromByteCount: count, countStyle: .file) }

    /// `paperflow cache push --remote URL`: send what the lock files name to a remote cache.
    struct PushCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Upload the blobs and action records that lock files reference to a remote cache (HTTP or file://).",
            discussion: "The remote uses the Bazel remote-cache layout: cas/<sha256> and ac/<key>, GET/HEAD/PUT over plain HTTP (nginx with WebDAV, bazel-remote), or a directory."
        )

        @Option(help: ArgumentHelp("The remote cache: http://HOST:PORT/PATH or file:///PATH.", valueName: "url")) var remote: String
        @Argument(help: "Workflow files or folders whose locks to push (default: Workflows/).") var workflows: [String] = []
        @OptionGroup var options: ProjectOptions

        func run() throws {
            let trust = RemoteTrust(secret: ProcessInfo.processInfo.environment[RemoteTrust.secretVariable], locks: [])
            let (report, location) = try CacheCommand.transfer(remote, workflows, options: options, verb: "pushed", {
                try RemoteTransfer.push($0, locks: $1, to: $2, trust: trust)
            })
            CacheCommand.reportConfidential(report.confidential, verb: "pushed")
            for stage in report.missing { Console.shared.err("warning: \(stage): its outputs are not in this store (run it first); not pushed") }
            Console.shared.out("pushed \(report.actions) action records and \(CacheCommand.bytes(report.bytes)) of blobs to \(location); "
                               + "\(report.alreadyThere) were already there")
        }
    }

    /// `paperflow cache pull --remote URL`: fetch what the lock files name, verifying every blob.
    struct PullCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pull",
            abstract: "Download the outputs lock files reference from a remote cache, verifying every blob against its digest."
        )

        @Option(help: ArgumentHelp("The remote cache: http://HOST:PORT/PATH or file:///PATH.", valueName: "url")) var remote: String
        @Argument(help: "Workflow files or folders whose locks to pull (default: Workflows/).") var workflows: [String] = []
        @OptionGroup var options: ProjectOptions

        func run() throws {
            let console = Console.shared
            let secret = ProcessInfo.processInfo.environment[RemoteTrust.secretVariable]
            let (report, location) = try CacheCommand.transfer(remote, workflows, options: options, verb: "pulled", {
                try RemoteTransfer.pull($0, locks: $1, from: $2, trust: RemoteTrust(secret: secret, locks: $1))
            })
            for stage in report.missing { console.err("warning: \(stage): the remote does not hold its outputs") }
            for reason in report.rejected { console.err("rejected \(reason)") }
            console.out("pulled \(report.actions) action records and \(CacheCommand.bytes(report.bytes)) of blobs from \(location); "
                        + "\(report.alreadyThere) were already here; \(report.rejected.count) rejected")
            if !report.rejected.isEmpty { throw ExitCode(1) }
        }
    }

    /// `paperflow cache export FILE`: the blobs and action records the lock files reference, as a tar.
    struct ExportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write the blobs and action records that lock files reference to a tar file (a CI cache step saves it).",
            discussion: "Import it into another store with 'paperflow cache import FILE'; a run there then computes nothing it holds."
        )

        @Argument(help: "The archive to write (a tar file).") var file: String
        @Argument(help: "Workflow files or folders whose locks to export (default: Workflows/).") var workflows: [String] = []

        @OptionGroup var options: ProjectOptions

        func run() throws {
            let console = Console.shared
            let locks = try CacheCommand.locks(workflows, options: options, console: console, verb: "exported")
            let lock = try options.lockStore(command: "paperflow cache export", wait: true, console: console)
            let report = try StoreArchive.export(try ArtifactStore(root: options.storeRoot), locks: locks, to: URL(fileURLWithPath: file))
            withExtendedLifetime(lock) {}
            for stage in report.missing { console.err("warning: \(stage): its outputs are not in this store (run it first); left out") }
            CacheCommand.reportConfidential(report.confidential, verb: "exported")
            console.out("exported \(report.blobs) blobs (\(CacheCommand.bytes(report.bytes))) and "
                        + "\(report.actions) action records of \(locks.count) lock file\(locks.count == 1 ? "" : "s") to \(file)")
        }
    }

    /// `paperflow cache import FILE`: verify and enter what an export wrote.
    struct ImportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Read an archive from 'paperflow cache export' into the store, verifying every blob against its digest."
        )

        @Argument(help: "The archive to read.") var file: String

        @OptionGroup var options: ProjectOptions

        func run() throws {
            let console = Console.shared
            let lock = try options.lockStore(command: "paperflow cache import", wait: true, console: console)
            let report: StoreArchive.ImportReport
            do {
                report = try StoreArchive.importArchive(from: URL(fileURLWithPath: file), into: try ArtifactStore(root: options.storeRoot))
            } catch let error as StoreArchive.ArchiveError {
                console.err("error: \(error)")
                throw ExitCode(1)
            }
            withExtendedLifetime(lock) {}
            for reason in report.rejected { console.err("rejected \(reason)") }
            console.out("imported \(report.blobsAdded) blobs (\(CacheCommand.bytes(report.bytes))) "
                        + "and \(report.actions) action records; \(report.blobsPresent) blobs were already here; \(report.rejected.count) rejected")
            if !report.rejected.isEmpty { throw ExitCode(1) }
        }
    }

    /// `paperflow cache verify`: rehash every blob, check every action record.
    struct VerifyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Rehash every blob and check every action record; exit 1 if anything is corrupt, partial or dangling."
        )

        @Flag(help: "Delete what is corrupt, partial or dangling (the next run recomputes it).")
        var repair = false

        @OptionGroup var options: ProjectOptions

        func run() throws {
            let console = Console.shared
            let lock = try options.lockStore(command: "paperflow cache verify", wait: true, console: console)
            let report = try ArtifactStore(root: options.storeRoot).verify(repair: repair)
            withExtendedLifetime(lock) {}
            console.out("checked \(report.blobsChecked) blobs and \(report.actionsChecked) action records")
            for path in report.corruptBlobs { console.out("corrupt blob: \(path)") }
            for path in report.partialFiles { console.out("partial file: \(path)") }
            for path in report.danglingActions { console.out("dangling action record: \(path)") }
            if !report.interruptedWrites.isEmpty {
                console.out("\(report.interruptedWrites.count) temporary files of an interrupted run (not corruption; "
                            + (repair ? "removed)" : "the next run removes them)"))
            }
            if report.isConsistent {
                console.out("store is consistent")
            } else if repair {
                console.out("repaired: removed what was listed; the next run recomputes it")
            } else {
                console.out("store is NOT consistent; run 'paperflow cache verify --repair'")
                throw ExitCode(1)
            }
        }
    }
}
