import ArgumentParser
import PaperflowCore
import PaperflowStages

/// `paperflow stages`: every plugin with its parameters and documentation.
struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages",
        abstract: "List every stage plugin, or document one: ports, parameters with types and defaults."
    )

    @Argument(help: ArgumentHelp("A plugin id (or id@version) to document in full.", valueName: "id"))
    var id: String?

    @OptionGroup var options: ProjectOptions

    func run() throws {
        let console = Console.shared
        let registry = try options.registry(console: console)
        guard let id else {
            let width = registry.ids.map(\.count).max() ?? 0
            for descriptor in registry.all {
                console.out("\(descriptor.reference.padding(toLength: width + 3, withPad: " ", startingAt: 0)) \(descriptor.signature.summary)")
            }
            console.out("\n'paperflow stages ID' documents one plugin.")
            return
        }
        // The listing prints `id@version`, so that form is accepted too.
        let parts = id.split(separator: "@", maxSplits: 1).map(String.init)
        guard let name = parts.first, let descriptor = registry.descriptor(for: name) else {
            console.err("error: unknown plugin '\(id)'" + NameSuggestion.didYouMean(parts.first ?? id, in: registry.ids))
            throw ExitCode(1)
        }
        if parts.count == 2, parts[1] != String(descriptor.version) {
            console.err("error: \(name) is at version \(descriptor.version), not \(parts[1]); 'paperflow stages \(descriptor.reference)' documents it")
            throw ExitCode(1)
        }
        for line in Self.document(descriptor) { console.out(line) }
    }

    static func document(_ descriptor: PluginDescriptor) -> [String] {
        let signature = descriptor.signature
        var lines = ["\(descriptor.reference): \(signature.summary)"]
        if !signature.documentation.isEmpty { lines += ["", signature.documentation] }
        if !signature.inputs.isEmpty {
            lines += ["", "inputs:"]
            for port in signature.inputs {
                let traits = [port.kind.rawValue, port.multiple ? "several" : nil, port.optional ? "optional" : nil].compactMap { $0 }
                lines.append("  \(port.name) (\(traits.joined(separator: ", "))): \(port.summary)")
            }
        }
        if !signature.outputs.isEmpty || signature.outputsFromParam != nil {
            lines += ["", "outputs:"]
            for port in signature.outputs { lines.append("  \(port.name) (\(port.kind.rawValue)): \(port.summary)") }
            if let param = signature.outputsFromParam { lines.append("  one per entry of '\(param)'") }
        }
        if !signature.params.isEmpty {
            lines += ["", "parameters:"]
            for param in signature.params {
                var text = "  \(param.name): \(param.type)"
                if param.required { text += ", required" }
                if let value = param.defaultValue { text += ", default \(value)" }
                lines.append(text + (param.summary.isEmpty ? "" : " — \(param.summary)"))
            }
        }
        return lines
    }
}
