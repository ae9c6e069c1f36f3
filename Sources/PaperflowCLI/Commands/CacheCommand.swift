import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow cache`: operations on the artifact store itself.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Operations on the artifact store.",
        subcommands: [VerifyCommand.self, ExportCommand.self, ImportCommand.self]
    )

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
            let paths = workflows.isEmpty ? [options.projectRoot.appendingPathComponent("Workflows").path] : workflows
            var locks: [WorkflowLock] = []
            for path in try WorkflowSession.workflowPaths(paths) {
                let url = WorkflowLock.url(forWorkflowAt: URL(fileURLWithPath: path))
                guard let lock = try WorkflowLock.read(from: url) else {
                    console.err("warning: \(path) has no lock file (run it first); nothing of it is exported")
                    continue
                }
                locks.append(lock)
            }
            let lock = try options.lockStore(command: "paperflow cache export", wait: true, console: console)
            let report = try StoreArchive.export(try ArtifactStore(root: options.storeRoot), locks: locks, to: URL(fileURLWithPath: file))
            withExtendedLifetime(lock) {}
            for stage in report.missing { console.err("warning: \(stage): its outputs are not in this store (run it first); left out") }
            console.out("exported \(report.blobs) blobs (\(ByteCountFormatter.string(fromByteCount: report.bytes, countStyle: .file))) and "
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
            console.out("imported \(report.blobsAdded) blobs (\(ByteCountFormatter.string(fromByteCount: report.bytes, countStyle: .file))) "
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
