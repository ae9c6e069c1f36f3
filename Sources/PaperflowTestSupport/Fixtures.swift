import Foundation

/// Files under `Tests/Fixtures/`, found relative to this source file so tests run from any
/// working directory.
public enum Fixtures {
    /// The `Tests/Fixtures` directory.
    public static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures", isDirectory: true)
    }

    /// The fixture at `path` (relative to `Tests/Fixtures`).
    public static func url(_ path: String) -> URL { directory.appendingPathComponent(path) }

    /// The fixture's text.
    public static func text(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: url(path)), as: UTF8.self)
    }

    /// The `paperflow` executable built next to the running test bundle.
    public static var paperflowExecutable: URL {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = me.deletingLastPathComponent()
        // macOS runs tests from inside an .xctest bundle: climb out of it.
        while directory.path.contains(".xctest") { directory = directory.deletingLastPathComponent() }
        return directory.appendingPathComponent("paperflow")
    }
}
