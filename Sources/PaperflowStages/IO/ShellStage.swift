import Foundation
import PaperflowCore
import PaperflowData

/// `shell`: runs a command line with declared input files and outputs, like DVC's `cmd` or a
/// Snakemake `shell:` rule — for glue steps that need no plugin of their own.
///
/// The command runs under `/bin/sh -c` in the project root. Placeholders (only these; other
/// braces are left alone for the shell): `{outs.NAME}` the path to write output NAME to,
/// `{data}` the stored paths of every artifact bound to input `data`, `{data[i]}` the i-th one
/// (0-based), `{deps}` the declared dependency files. Paths are shell-quoted. Outputs are written
/// to a scratch directory and enter the store only if the command exits 0, so a failed or
/// interrupted command never leaves a half-written output. The key holds the command text, the
/// declared files' content digests and the inputs' digests — not the expanded paths.
public struct ShellStage: Stage {
    public static let id = "shell"
    public static let version = 1
    public static let signature = StageSignature(
        summary: "Runs a shell command with declared inputs and outputs (DVC's cmd, Snakemake's shell).",
        documentation: """
            Placeholders: {outs.NAME}, {data}, {data[i]}, {deps}. The command's stdout and stderr
            go to Artifacts/<workflow>/<stage>.log. Values spliced with ${params.X} are
            single-quoted for the shell (a value "x; rm -rf d" stays one word); write
            ${params.X:raw} to splice shell code on purpose. The command sees only the declared
            'env' (part of the key) and PATH, HOME, USER, LOGNAME, SHELL, TMPDIR, TERM and the
            locale and time zone (LANG, LC_*, TZ: their values are part of the key too).
            An output declared {table: panel.csv} is a CSV the command writes at {outs.NAME}; it is
            read with io.csv's reader (types inferred, leading zeros kept, an optional schema:)
            into a table artifact that table stages bind, so a Stata, R or Python script sits in
            the middle of a workflow. A malformed CSV fails the stage at its line and column.
            """,
        inputs: [PortSpec("data", multiple: true, optional: true, summary: "artifacts the command reads")],
        params: [
            ParamSpec("cmd", .string, required: true, shellCommand: true,
                      summary: "the command line (${params.X} values are shell-quoted; ${params.X:raw} splices as written)"),
            ParamSpec("deps", .list(.path), default: .list([]), summary: "project files or folders (hashed as trees) the command reads"),
            ParamSpec("outs", .map(.either(.string, .map(.any))), default: .map([:]),
                      summary: "output name → file name, or {table: FILE.csv, schema: {…}} for a CSV the command writes, read into a table"),
            ParamSpec("env", .map(.string), default: .map([:]), summary: "environment variables (part of the key)"),
            ParamSpec("timeout", .double, summary: "seconds before the command is killed"),
        ],
        outputsFromParam: "outs",
        fileParams: ["deps"],
        keyedEnvironment: ShellQuoting.keyedEnvironment,
        lint: { params, root in ShellStage.undeclaredFiles(params, projectRoot: root) }
    )

    /// Project files the command names that `deps` does not cover: an edit to such a script
    /// or data file would not rerun the stage (DVC's and Snakemake's most common stale result).
    static func undeclaredFiles(_ params: [String: ParamValue], projectRoot: URL) -> [LintFinding] {
        guard let command = params["cmd"]?.stringValue else { return [] }
        let deps = params["deps"]?.listValue?.compactMap(\.stringValue) ?? []
        // Words of the command that could name a file: split on blanks and shell punctuation by
        // byte, and only words with a dot or a slash, not a placeholder, variable, option or
        // absolute path, become strings (this runs for every shell stage on every run).
        var tokens: [String] = []
        let bytes = Array(command.utf8)
        var start = 0
        func take(_ end: Int) {
            defer { start = end + 1 }
            guard end > start else { return }
            let word = bytes[start..<end]
            guard word.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") }),
                  !word.contains(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "$") }),
                  word.first != UInt8(ascii: "/"), word.first != UInt8(ascii: "-") else { return }
            tokens.append(String(decoding: word, as: UTF8.self))
        }
        for (index, byte) in bytes.enumerated() where " \t\n\r;|&<>()'\"`=".utf8.contains(byte) { take(index) }
        take(bytes.count)
        var seen: Set<String> = []
        var findings: [LintFinding] = []
        for token in tokens where seen.insert(token).inserted {
            guard !token.hasPrefix("Artifacts/"),
                  !deps.contains(where: { token == $0 || token.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }),
                  FileSystem.identity(ofFileAt: projectRoot.appendingPathComponent(token).path) != nil else { continue }
            findings.append(LintFinding(param: "cmd", message: "cmd names project file '\(token)', which is not in deps: editing it would not rerun this stage",
                                        hint: "add it: deps: [\((deps + [token]).joined(separator: ", "))]"))
        }
        return findings
    }

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        guard let command = context.string("cmd") else { throw StageFailure("parameter 'cmd' is missing") }
        let declared = context.params["outs"]?.mapValue ?? [:]
        let data = context.inputs["data"] ?? []
        let deps = context.params["deps"]?.listValue?.compactMap(\.stringValue) ?? []
        var outputURLs: [String: URL] = [:], tables: [String: ParamValue] = [:]
        for (name, value) in declared {
            if let fileName = value.stringValue {
                outputURLs[name] = context.outputURL(fileName)
            } else if let table = value.mapValue, let fileName = table["table"]?.stringValue {
                // The command writes the CSV beside the scratch outputs; the table takes the port.
                outputURLs[name] = context.scratchDirectory.appendingPathComponent("written", isDirectory: true).appendingPathComponent(fileName)
                tables[name] = value
            } else {
                throw StageFailure("output '\(name)' must be a file name or {table: FILE.csv}")
            }
        }
        try FileManager.default.createDirectory(at: context.scratchDirectory.appendingPathComponent("written", isDirectory: true), withIntermediateDirectories: true)
        let expanded = Self.expand(command, outputs: outputURLs, data: data.map(\.url.path), deps: deps)
        let environment = context.params["env"]?.mapValue?.compactMapValues(\.stringValue) ?? [:]
        let termination = try ChildProcess.run(["/bin/sh", "-c", expanded], directory: context.projectRoot,
                                               environment: environment, inherited: Set(ShellQuoting.passedEnvironment),
                                               log: context.logURL,
                                               timeout: context.double("timeout"), cancellation: context.cancellation)
        let log = ChildProcess.tail(of: context.logURL)
        switch termination {
        case .exited(0): break
        case let .exited(code):
            throw StageFailure("command exited with status \(code)" + (log.isEmpty ? "" : "; its output ends:\n\(log)"))
        case let .signalled(signal):
            throw StageFailure("command was killed by signal \(signal)" + (log.isEmpty ? "" : "; its output ends:\n\(log)"))
        case let .timedOut(seconds):
            throw StageFailure("command did not finish within its timeout of \(seconds) s and was killed")
        case .cancelled:
            throw StageFailure("command was interrupted")
        }
        var artifacts: [String: Artifact] = [:]
        for (name, url) in outputURLs {
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw StageFailure("command exited 0 but did not write output '\(name)' (expected at {outs.\(name)})")
            }
            if let declaration = tables[name] {
                artifacts[name] = try Self.table(at: url, declaration: declaration, output: name, context: context)
            } else {
                artifacts[name] = .file(url)
            }
        }
        return artifacts
    }

    /// The CSV a command wrote for a table output, read as io.csv reads a file.
    static func table(at url: URL, declaration: ParamValue, output: String, context: StageContext) throws -> Artifact {
        var options = CSVOptions()
        let schema = declaration.mapValue?["schema"]?.mapValue ?? [:]
        for (column, type) in schema {
            guard let name = type.stringValue, let dataType = DataType(rawValue: name) else {
                throw StageFailure("output '\(output)': schema type of '\(column)' must be one of \(DataType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.schema[column] = dataType
        }
        let fileName = declaration.mapValue?["table"]?.stringValue ?? url.lastPathComponent
        do {
            let (table, _) = try CSVReader.read(contentsOf: url, displayPath: "{outs.\(output)} (\(fileName))", options: options)
            return try context.artifact(table, fileName: (fileName as NSString).deletingPathExtension + ".pftable")
        } catch let error as CSVError {
            throw StageFailure("the command's table '\(output)': \(error)")
        }
    }

    /// Replaces the placeholders; unknown braces are kept for the shell.
    public static func expand(_ command: String, outputs: [String: URL], data: [String], deps: [String]) -> String {
        var result = command
        for (name, url) in outputs { result = result.replacingOccurrences(of: "{outs.\(name)}", with: quote(url.path)) }
        for (index, path) in data.enumerated() { result = result.replacingOccurrences(of: "{data[\(index)]}", with: quote(path)) }
        result = result.replacingOccurrences(of: "{data}", with: data.map(quote).joined(separator: " "))
        result = result.replacingOccurrences(of: "{deps}", with: deps.map(quote).joined(separator: " "))
        return result
    }

    /// Single-quotes a path for `/bin/sh`.
    static func quote(_ text: String) -> String { ShellQuoting.quote(text) }
}
