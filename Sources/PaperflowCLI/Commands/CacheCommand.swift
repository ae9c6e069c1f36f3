import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow cache`: operations on the artifact store itself.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Operations on the artifact store.",
        subcommands: [VerifyCommand.self]
    )

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
