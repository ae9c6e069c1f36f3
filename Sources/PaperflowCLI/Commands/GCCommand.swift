import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow gc`: deletes what no lock file and no recent run references.
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete blobs and action records that no lock file under Workflows/ and no recent run references."
    )

    @Option(help: "Keep what runs of the last N days reference (and their run records).")
    var keepDays: Double = 7

    @Flag(help: "Only report what would be deleted.")
    var dryRun = false

    @OptionGroup var options: ProjectOptions

    func run() throws {
        let console = Console.shared
        let lock = try options.lockStore(command: "paperflow gc", wait: false, console: console)
        let store = try ArtifactStore(root: options.storeRoot)
        let report = try store.collectGarbage(lockDirectory: options.projectRoot.appendingPathComponent("Workflows"),
                                              keepDays: keepDays, dryRun: dryRun)
        withExtendedLifetime(lock) {}
        let verb = dryRun ? "would remove" : "removed"
        console.out("\(verb) \(report.blobsRemoved) blobs (\(ByteCountFormatter.string(fromByteCount: report.bytesRemoved, countStyle: .file))), "
                    + "\(report.actionsRemoved) action records, \(report.runRecordsRemoved) run records; kept \(report.blobsKept) blobs")
    }
}
