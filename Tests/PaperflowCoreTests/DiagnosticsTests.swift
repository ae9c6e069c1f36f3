import Foundation
import PaperflowCore
import PaperflowStages
import PaperflowTestSupport
import Testing

/// Every validation error has a fixture under Tests/Fixtures/diagnostics and a golden
/// `.expected` file with the exact `FILE:LINE:COL: error: MESSAGE` lines.
@Suite("Workflow diagnostics")
struct DiagnosticsTests {
    static let fixtures = [
        "unknown-plugin", "unknown-parameter", "missing-parameter", "wrong-type", "unknown-stage",
        "unknown-output", "cycle", "duplicate-key", "path-outside", "syntax-error", "alias-bomb", "five-errors", "export-read", "formula",
    ]

    /// Validates a fixture copied into a fresh project as `Workflows/NAME.yaml`.
    static func diagnostics(for name: String) throws -> [Diagnostic] {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/in.txt", "x\n")
        let path = "Workflows/\(name).yaml"
        try project.write(path, try Fixtures.text("diagnostics/\(name).yaml"))
        do {
            _ = try project.graph(path, registry: BuiltinStages.registry)
        } catch let error as DiagnosticsError {
            return error.diagnostics
        }
        return []
    }

    @Test("each fixture reports exactly its expected lines", arguments: fixtures)
    func matchesGolden(name: String) throws {
        let expected = try Fixtures.text("diagnostics/\(name).expected")
            .split(separator: "\n").map(String.init)
        let actual = try Self.diagnostics(for: name).map(\.headline)
        #expect(actual == expected)
    }

    @Test("five different errors are all reported in one pass")
    func fiveErrorsAtOnce() throws {
        let diagnostics = try Self.diagnostics(for: "five-errors")
        #expect(diagnostics.count == 5)
        #expect(Set(diagnostics.map { $0.location!.line }) == [6, 12, 14, 17, 18])
    }

    @Test("hints say how to fix the problem")
    func hints() throws {
        let plugin = try Self.diagnostics(for: "unknown-plugin")[0]
        #expect(plugin.message == "unknown plugin 'io.fiel'; did you mean 'io.file'?")
        #expect(plugin.hint == "run 'paperflow stages' to list the plugins")
        let missing = try Self.diagnostics(for: "missing-parameter")[0]
        #expect(missing.hint == "add 'path:' (a path inside the project) under 'with:'")
        let rendered = plugin.rendered(color: false)
        #expect(rendered == """
            Workflows/unknown-plugin.yaml:4:11: error: unknown plugin 'io.fiel'; did you mean 'io.file'?
              hint: run 'paperflow stages' to list the plugins
            """)
    }

    @Test("a symlink inside the project that leads outside it is refused")
    func symlinkEscape() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try FileManager.default.createSymbolicLink(atPath: project.root.appendingPathComponent("outside").path,
                                                   withDestinationPath: "/tmp")
        try project.write("Workflows/w.yaml", """
            workflow: w
            stages:
              raw:
                uses: io.file@1
                with: {path: outside/x.txt}
            """)
        #expect(throws: DiagnosticsError.self) { try project.graph("Workflows/w.yaml", registry: BuiltinStages.registry) }
        do {
            _ = try project.graph("Workflows/w.yaml", registry: BuiltinStages.registry)
        } catch let error as DiagnosticsError {
            #expect(error.diagnostics.count == 1)
            #expect(error.diagnostics[0].location?.line == 5)
            #expect(error.diagnostics[0].message.contains("leads through a symlink"))
        }
    }
}
