import Foundation
import PaperflowCore

/// `io.file`: a project file as an artifact.
///
/// The file's content digest is part of the stage key (hashed once, then remembered by its stat
/// tuple), so editing the file reruns everything downstream, and touching it without a change
/// reruns nothing.
public struct FileStage: Stage {
    public static let id = "io.file"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Brings a project file into the workflow as an artifact (hashed by content).",
        documentation: """
            The path is relative to the project root and must stay inside it. The file is copied
            into the content-addressed store once per distinct content; downstream stages read the
            stored copy, so a later edit of the file cannot change a running stage's input.
            """,
        outputs: [PortSpec("file", summary: "the file's content")],
        params: [ParamSpec("path", .path, required: true, summary: "project-relative path of the file")],
        fileParams: ["path"]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        guard let path = context.string("path") else { throw StageFailure("parameter 'path' is missing") }
        return ["file": .projectFile(path)]
    }
}
