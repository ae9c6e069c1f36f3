import Foundation
import PackagePlugin

/// Generates `BuiltinFingerprints.swift` for PaperflowStages: a fingerprint per built-in stage of
/// the source and data files it runs on (DESIGN.md, "Cache key"). Every file of the modules it
/// reads is an input of the command, so any edit regenerates the table — no hand step.
@main
struct BuiltinFingerprintPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let modules = [module] + module.recursiveTargetDependencies.compactMap { $0 as? SourceModuleTarget }
        let sourcesRoot = module.directoryURL.deletingLastPathComponent()
        let names = modules.map(\.name).filter {
            FileManager.default.fileExists(atPath: sourcesRoot.appendingPathComponent($0).path)
        }
        let inputs = modules.filter { names.contains($0.name) }.flatMap { $0.sourceFiles.map(\.url) }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("BuiltinFingerprints.swift")
        return [.buildCommand(
            displayName: "Fingerprinting the built-in stages of \(target.name)",
            executable: try context.tool(named: "paperflow-fingerprint").url,
            arguments: [sourcesRoot.path, output.path] + names,
            inputFiles: inputs,
            outputFiles: [output]
        )]
    }
}
