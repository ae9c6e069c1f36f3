import Foundation
import PaperflowCore

/// `io.export`: keeps a named project file equal to an artifact (a table for the manuscript,
/// a figure for the README).
///
/// The copy is made after every run, cached or not, whenever the file is missing or differs,
/// so deleting or editing an exported file is repaired by the next `paperflow run`.
public struct ExportStage: Stage {
    public static let id = "io.export"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Copies an artifact to a named path in the project (atomically, only when it differs).",
        documentation: """
            The target must lie inside the project. It is written through a temporary file and a
            rename, so a reader never sees half a file.
            """,
        inputs: [PortSpec("artifact", summary: "the artifact to export")],
        outputs: [PortSpec("file", summary: "the exported content (same digest as the input)")],
        params: [ParamSpec("to", .path, required: true, summary: "project-relative target path")],
        materializedOutputs: [(param: "to", output: "file")]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        ["file": .stored(try context.input("artifact"))]
    }
}
