import ArgumentParser
import PaperflowCore

/// `paperflow dag`: the stage graph as Mermaid or Graphviz dot.
struct DagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dag", abstract: "Print the stage graph as Mermaid, Graphviz dot or SVG.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case mermaid, dot, svg }

    @Argument(help: ArgumentHelp("The workflow file.", valueName: "workflow"))
    var workflow: String

    @Option(help: "Output format.")
    var format: Format = .mermaid

    @OptionGroup var options: ProjectOptions

    func run() throws {
        let session = try WorkflowSession.open(workflow, options: options, console: Console.shared)
        Console.shared.raw(Self.render(session.graph, format: format))
    }

    static func render(_ graph: StageGraph, format: Format) -> String {
        var text = ""
        func label(_ stage: ResolvedStage) -> String {
            "\(stage.name)\\n\(stage.pluginReference)".replacingOccurrences(of: "\"", with: "'")
        }
        switch format {
        case .svg:
            return DagDrawing.svg(graph)
        case .mermaid:
            text += "flowchart TD\n"
            for (i, stage) in graph.stages.enumerated() {
                text += "  s\(i)[\"\(label(stage).replacingOccurrences(of: "\\n", with: "<br/>"))\"]\n"
            }
            for (i, sources) in graph.dependencies.enumerated() {
                for source in sources { text += "  s\(source) --> s\(i)\n" }
            }
        case .dot:
            text += "digraph \"\(graph.workflowName)\" {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n"
            for (i, stage) in graph.stages.enumerated() { text += "  s\(i) [label=\"\(label(stage))\"];\n" }
            for (i, sources) in graph.dependencies.enumerated() {
                for source in sources { text += "  s\(source) -> s\(i);\n" }
            }
            text += "}\n"
        }
        return text
    }
}
