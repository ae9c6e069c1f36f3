import Foundation
import PaperflowFingerprinting

// Build-time tool: `paperflow-fingerprint SOURCES_DIR OUTPUT.swift MODULE...` writes the table
// of built-in stage fingerprints (see SourceFingerprinter). Run by the build plugin.
let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: paperflow-fingerprint SOURCES_DIR OUTPUT.swift MODULE...\n".utf8))
    exit(2)
}
do {
    let fingerprinter = try SourceFingerprinter(sourcesRoot: URL(fileURLWithPath: arguments[1], isDirectory: true),
                                                modules: Array(arguments[3...]))
    if ProcessInfo.processInfo.environment["PAPERFLOW_FINGERPRINT_EXPLAIN"] == "1" {
        // For developers: which files each stage's fingerprint covers.
        for (name, index) in fingerprinter.stageTypes.sorted(by: { $0.key < $1.key }) {
            let files = fingerprinter.closure(ofFileAt: index)
            print("\(name) (\(files.count) files): \(files.joined(separator: " "))")
        }
    }
    let text = Data(fingerprinter.generatedSwift().utf8)
    let output = URL(fileURLWithPath: arguments[2])
    // Leave an unchanged file alone so that nothing downstream recompiles.
    if (try? Data(contentsOf: output)) != text { try text.write(to: output, options: .atomic) }
} catch {
    FileHandle.standardError.write(Data("paperflow-fingerprint: \(error)\n".utf8))
    exit(1)
}
