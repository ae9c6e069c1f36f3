import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow clean`: removes the human-facing views (and, with `--all`, the whole store).
struct CleanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Remove the output views under Artifacts/<workflow>/ and scratch files; with --all, the whole store.",
        discussion: "Without --all nothing cached is lost: the next run restores the views from the store without recomputing."
    )

    @Argument(help: ArgumentHelp("Workflow names whose views to remove (default: all).", valueName: "workflow"))
    var names: [String] = []

    @Flag(help: "Also delete every blob, action record, run record and the hash memo.")
    var all = false

    @OptionGroup var options: ProjectOptions

    func run() throws {
        let console = Console.shared
        let storeRoot = options.storeRoot
        let lock = try options.lockStore(command: "paperflow clean", wait: false, console: console)
        let fileManager = FileManager.default
        let storeFolders: Set<String> = ["cas", "actions", "runs", "tmp", "memo", "lock", "lock-holder.json", "README.md",
                                         "experiments", "lock-stamps"]
        let entries = (try? fileManager.contentsOfDirectory(atPath: storeRoot.path)) ?? []
        var removed: [String] = []
        for entry in entries where !storeFolders.contains(entry) && !entry.hasPrefix(".") {
            if names.isEmpty || names.contains(entry) {
                guard FileSystem.removeTree(storeRoot.appendingPathComponent(entry).path) else {
                    throw CleanError("cannot remove Artifacts/\(entry)")
                }
                removed.append("Artifacts/\(entry)/")
            }
        }
        FileSystem.removeTree(storeRoot.appendingPathComponent("tmp").path)
        if all {
            for folder in ["cas", "actions", "runs", "memo", "experiments", "lock-stamps"] {
                let url = storeRoot.appendingPathComponent(folder)
                guard fileManager.fileExists(atPath: url.path) else { continue }
                // Blobs are read-only; removeTree makes their folders writable, following no link.
                guard FileSystem.removeTree(url.path) else { throw CleanError("cannot remove \(url.path)") }
                removed.append("Artifacts/\(folder)")
            }
        }
        withExtendedLifetime(lock) {}
        console.out(removed.isEmpty ? "nothing to clean" : "removed " + removed.joined(separator: ", "))
    }
}

/// A folder `clean` could not remove.
struct CleanError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
