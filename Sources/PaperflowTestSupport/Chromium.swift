import Foundation

/// Debian's Chromium, headless, as the browser tests drive it: screenshots and the DOM after load.
public enum Chromium {
    static func executable() throws -> URL { try ExternalTool.require("chromium") }

    static let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                        "--disable-extensions", "--allow-file-access-from-files"]

    /// A screenshot of `url` in a `width`×`height` window.
    public static func screenshot(_ url: URL, width: Int, height: Int) throws -> PNGImage {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-shot-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: output) }
        let profile = try temporaryProfile()
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try ExternalTool.run(try executable(), flags + ["--user-data-dir=\(profile.path)", "--screenshot=\(output.path)",
                                                                     "--window-size=\(width),\(height)", url.absoluteString], timeout: 120)
        guard FileManager.default.fileExists(atPath: output.path) else {
            throw ExternalTool.ToolError(message: "chromium took no screenshot (exit \(result.status)): \(result.output.suffix(2000))")
        }
        return try PNGImage(contentsOf: output)
    }

    /// The page's DOM after load, and every console message the page logged (Chromium prints
    /// them to stderr as `CONSOLE` lines with `--enable-logging=stderr`).
    public static func load(_ url: URL) throws -> (dom: String, console: [String]) {
        let profile = try temporaryProfile()
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try ExternalTool.run(try executable(), flags + ["--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0",
                                                                     "--virtual-time-budget=5000", "--dump-dom", url.absoluteString], timeout: 120)
        guard result.status == 0 else { throw ExternalTool.ToolError(message: "chromium failed (exit \(result.status)): \(result.output.suffix(2000))") }
        let console = result.output.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (result.output, console)
    }

    static func temporaryProfile() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paperflow-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
