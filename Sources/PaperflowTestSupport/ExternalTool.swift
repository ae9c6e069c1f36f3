import Foundation

/// A program from a Debian package that a test drives for real (pdflatex, Chromium). When it is
/// missing, the project's `.ci/install-tools` installs it; a test that still cannot find it fails.
public enum ExternalTool {
    /// The repository root (the parent of `Tests/`).
    static var repositoryRoot: URL { Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent() }

    /// The executable `name` on PATH, installing the test tools first if it is absent.
    /// - Throws: `ToolError` when it is still missing after the install.
    public static func require(_ name: String) throws -> URL {
        if let found = find(name) { return found }
        let install = try run(repositoryRoot.appendingPathComponent(".ci/install-tools"), [])
        guard let found = find(name) else {
            throw ToolError(message: "\(name) is not installed and .ci/install-tools could not install it (exit \(install.status)): \(install.output.suffix(2000))")
        }
        return found
    }

    static func find(_ name: String) -> URL? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// Runs `executable` with `arguments` in `directory`, returning its exit status and its
    /// standard output and error together.
    public static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                           timeout: TimeInterval = 600) throws -> (status: Int32, output: String) {
        let child = try PaperflowProcess(executable: executable.path, arguments,
                                         in: directory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath), mergingErrors: true)
        let status = child.wait(timeout: timeout)
        if status == -1 {
            throw ToolError(message: "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish in \(Int(timeout)) s")
        }
        return (status, child.stdout)
    }

    /// Runs R `code` with `Rscript --vanilla` in `directory` (written there as `check.R`) and
    /// returns what it printed.
    /// - Throws: `ToolError` with R's output when R exits non-zero.
    public static func rscript(_ code: String, in directory: URL) throws -> String {
        let script = directory.appendingPathComponent("check.R")
        try Data(code.utf8).write(to: script)
        let result = try run(try require("Rscript"), ["--vanilla", script.path], in: directory, timeout: 300)
        guard result.status == 0 else { throw ToolError(message: "R failed (exit \(result.status)): \(result.output)") }
        return result.output
    }

    /// Runs Python `code` with Debian's python3 and pandas (`python3-pandas`, installed by
    /// `.ci/install-tools` when missing) in `directory`, written there as `check.py`; returns what
    /// it printed.
    /// - Throws: `ToolError` with Python's output when it exits non-zero.
    public static func pandas(_ code: String, in directory: URL) throws -> String {
        let python = URL(fileURLWithPath: "/usr/bin/python3")
        if try run(python, ["-c", "import pandas"]).status != 0 {
            let install = try run(repositoryRoot.appendingPathComponent(".ci/install-tools"), [])
            guard try run(python, ["-c", "import pandas"]).status == 0 else {
                throw ToolError(message: "pandas is not installed and .ci/install-tools could not install it (exit \(install.status)): \(install.output.suffix(2000))")
            }
        }
        let script = directory.appendingPathComponent("check.py")
        try Data(code.utf8).write(to: script)
        let result = try run(python, [script.path], in: directory, timeout: 300)
        guard result.status == 0 else { throw ToolError(message: "Python failed (exit \(result.status)): \(result.output)") }
        return result.output
    }

    /// The roc-validator release the crate tests use (PyPI `roc-validator`).
    public static let rocValidatorVersion = "0.13.0"

    /// Validates the RO-Crate in `crate` against `profiles` at REQUIRED level with roc-validator,
    /// offline: `Tests/Fixtures/ro-crate/validate.py` serves the two JSON-LD contexts vendored
    /// beside it from a local HTTP server and refuses every other request. The validator lives in
    /// a venv of the checkout (`Artifacts/tools/roc-validator/`, as the plugin venvs do), made on
    /// first use from PyPI. Returns the script's exit status (0: every profile valid) and output.
    public static func validateCrate(_ crate: URL, profiles: [String]) throws -> (status: Int32, output: String) {
        let folder = repositoryRoot.appendingPathComponent("Artifacts/tools/roc-validator", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let setup = """
            set -e
            exec 9>"$0/setup.lock"; flock 9
            if ! "$0/venv/bin/python" -c 'import rocrate_validator' 2>/dev/null || [ "$(cat "$0/installed" 2>/dev/null)" != "$1" ]; then
                rm -rf "$0/venv"; python3 -m venv "$0/venv"
                "$0/venv/bin/python" -m pip install --quiet --disable-pip-version-check "roc-validator==$1"
                echo "$1" > "$0/installed"
            fi
            """
        let made = try run(URL(fileURLWithPath: "/bin/sh"), ["-c", setup, folder.path, rocValidatorVersion], timeout: 900)
        guard made.status == 0 else { throw ToolError(message: "cannot make the roc-validator venv (python3 -m venv, pip from PyPI): \(made.output.suffix(2000))") }
        let script = repositoryRoot.appendingPathComponent("Tests/Fixtures/ro-crate/validate.py")
        return try run(folder.appendingPathComponent("venv/bin/python"), [script.path, crate.path] + profiles, timeout: 600)
    }

    /// A tool that cannot be found or run.
    public struct ToolError: Error, CustomStringConvertible {
        public var message: String
        public init(message: String) { self.message = message }
        public var description: String { message }
    }
}
