import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Converts tables between the stored binary format and CSV for plugins that want CSV. The
/// engine knows no table format; PaperflowStages supplies the conversion.
public protocol TableConversion: Sendable {
    /// Writes the binary table at `table` as CSV at `csv`.
    func writeCSV(ofTableAt table: URL, to csv: URL) throws
    /// Reads the CSV at `csv` and writes it as a binary table at `table`.
    func writeTable(fromCSVAt csv: URL, to table: URL) throws
}

/// A plugin folder under `Plugins/`: its manifest and the content hash of everything in it.
public struct ExternalPlugin: Sendable {
    /// The parsed `plugin.yaml`.
    public var manifest: PluginManifest
    /// The plugin's folder.
    public var folder: URL
    /// The hash of the folder's files (names, executable bits, contents): part of every key, so
    /// editing the script reruns the stages that use it.
    public var digest: Digest

    /// Reads every `*/plugin.yaml` directly under `directory` (absent directory: no plugins).
    /// - Parameter displayPrefix: how diagnostics name the directory (`Plugins`).
    /// - Throws: `DiagnosticsError` with every manifest problem, each at its line and column.
    public static func discover(in directory: URL, displayPrefix: String = "Plugins") throws -> [ExternalPlugin] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        var plugins: [ExternalPlugin] = []
        var problems: [Diagnostic] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let folder = directory.appendingPathComponent(name, isDirectory: true)
            let manifestURL = folder.appendingPathComponent("plugin.yaml")
            guard FileSystem.exists(manifestURL.path) else { continue }
            let file = "\(displayPrefix)/\(name)/plugin.yaml"
            do {
                let text = try String(contentsOf: manifestURL, encoding: .utf8)
                let manifest = try PluginManifest.parse(text, file: file)
                if let other = plugins.first(where: { $0.manifest.id == manifest.id }) {
                    problems.append(Diagnostic(at: manifest.idLocation, "plugin id '\(manifest.id)' is also declared by \(other.manifest.file)",
                                               hint: "give each plugin its own id"))
                    continue
                }
                plugins.append(ExternalPlugin(manifest: manifest, folder: folder, digest: try folderDigest(folder)))
            } catch let error as DiagnosticsError {
                problems += error.diagnostics
            } catch {
                problems.append(Diagnostic(at: SourceLocation(file: file, line: 1, column: 1), "cannot read the manifest: \(error)"))
            }
        }
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        return plugins
    }

    /// The folder's content hash: every file's relative path, executable bit and content digest,
    /// in path order. Dot-files and `__pycache__` are left out (editor and interpreter litter);
    /// a symbolic link counts as its target's text.
    public static func folderDigest(_ folder: URL) throws -> Digest {
        try ContentHasher.treeDigest(folder) { try ContentHasher.digest(ofFileAt: $0).digest }
    }

    /// The registry entry: the plugin's signature, keyed by its folder hash.
    /// - Parameters:
    ///   - environmentRoot: where plugins keep their environments (`Artifacts/plugins`); each gets
    ///     `<root>/<folder name>/`, kept between runs and not part of any key.
    ///   - conversion: converts tables for ports declared `format: csv`.
    public func descriptor(environmentRoot: URL, conversion: any TableConversion) -> PluginDescriptor {
        let runner = ExternalPluginRunner(plugin: self, environment: environmentRoot.appendingPathComponent(folder.lastPathComponent, isDirectory: true),
                                          conversion: conversion)
        return PluginDescriptor(id: manifest.id, version: manifest.version, implementationDigest: digest.description,
                                signature: manifest.signature, makeRunner: { runner })
    }
}

/// Runs an external plugin for one stage: writes the request, runs the command, checks what it
/// wrote and reads its reply. Outputs reach the store only when every check passes.
struct ExternalPluginRunner: StageRunner {
    let plugin: ExternalPlugin
    let environment: URL
    let conversion: any TableConversion

    /// The files the runner itself puts in the scratch directory; anything else there was
    /// written by the plugin outside its output directory.
    static let scratchEntries: Set<String> = ["request.json", "reply.json", "stage.log", "out", "work", "inputs"]

    var name: String { "plugin \(plugin.manifest.id)" }

    func run(_ context: StageContext) throws -> [String: Artifact] {
        let manifest = plugin.manifest
        let scratch = context.scratchDirectory
        let out = scratch.appendingPathComponent("out", isDirectory: true)
        let work = scratch.appendingPathComponent("work", isDirectory: true)
        let inputsFolder = scratch.appendingPathComponent("inputs", isDirectory: true)
        for folder in [out, work, inputsFolder, environment] { try FileSystem.makeDirectory(folder) }

        var inputs: [String: ParamValue] = [:]
        for port in manifest.inputs {
            guard let artifacts = context.inputs[port.spec.name] else { continue }
            inputs[port.spec.name] = .list(try artifacts.enumerated().map { index, artifact in
                var path = artifact.url
                if port.spec.kind == .table, port.format == .csv {
                    path = inputsFolder.appendingPathComponent(artifacts.count == 1 ? port.pluginFile : "\(index + 1)-\(port.pluginFile)")
                    do { try conversion.writeCSV(ofTableAt: artifact.url, to: path) } catch {
                        throw StageFailure("\(name): cannot give input '\(port.spec.name)' as CSV: \(error)")
                    }
                }
                return .map(["path": .string(path.path), "format": .string(port.spec.kind == .table ? port.format.rawValue : "file"),
                             "digest": .string(artifact.digest.description)])
            })
        }
        var outputs: [String: ParamValue] = [:]
        for port in manifest.outputs {
            outputs[port.spec.name] = .map([
                "path": .string(out.appendingPathComponent(port.pluginFile).path), "type": .string(port.spec.kind.rawValue),
                "format": .string(port.spec.kind == .table ? port.format.rawValue : "file"),
            ])
        }
        let requestURL = scratch.appendingPathComponent("request.json")
        let replyURL = scratch.appendingPathComponent("reply.json")
        let request: ParamValue = .map([
            "protocol": .int(1), "plugin": .string(manifest.id), "version": .int(Int64(manifest.version)),
            "stage": .string(context.stageName), "params": .map(context.params), "inputs": .map(inputs),
            "outputs": .map(outputs), "output_directory": .string(out.path), "reply": .string(replyURL.path),
            "project_root": .string(context.projectRoot.path), "plugin_directory": .string(plugin.folder.path),
            "environment_directory": .string(environment.path),
        ])
        try FileSystem.writeAtomically(Data(JSONText.pretty(request)), to: requestURL)

        let command = try resolvedCommand()
        let termination = try ChildProcess.run(command + [requestURL.path], directory: work, environment: [
            "PAPERFLOW_REQUEST": requestURL.path, "PAPERFLOW_PLUGIN_DIR": plugin.folder.path,
            "PAPERFLOW_ENV_DIR": environment.path, "PAPERFLOW_PROJECT": context.projectRoot.path,
        ], log: context.logURL, timeout: manifest.timeout, cancellation: context.cancellation)

        let log = ChildProcess.tail(of: context.logURL)
        let output = log.isEmpty ? " and printed nothing" : "; its output ends:\n\(log)"
        switch termination {
        case .exited(0): break
        case let .exited(code):
            throw StageFailure("\(name) exited with status \(code)\(replyErrors(replyURL))\(output)")
        case let .signalled(signal):
            throw StageFailure("\(name) was killed by signal \(signal)\(output)")
        case let .timedOut(seconds):
            throw StageFailure("\(name) did not finish within its timeout of \(Self.seconds(seconds)) (timeout: in \(manifest.file)) and was killed\(output)")
        case .cancelled:
            throw StageFailure("\(name) was interrupted")
        }

        try checkNoEscapes(scratch: scratch)
        let reply = try readReply(replyURL)
        for (severity, message) in reply.diagnostics where severity != .error { context.report(severity, "[\(manifest.id)] \(message)") }
        let errors = reply.diagnostics.filter { $0.0 == .error }.map(\.1)
        if !errors.isEmpty {
            throw StageFailure("\(name) reported \(errors.count == 1 ? "an error" : "\(errors.count) errors"): \(errors.joined(separator: "; "))")
        }

        let outRoot = Self.realPath(out.path) ?? out.path
        var artifacts: [String: Artifact] = [:]
        for port in manifest.outputs {
            let named = reply.outputs[port.spec.name]
            let candidate = named.map { $0.hasPrefix("/") ? $0 : out.appendingPathComponent($0).path } ?? out.appendingPathComponent(port.pluginFile).path
            guard let resolved = Self.realPath(candidate) else {
                if named == nil {
                    throw StageFailure("\(name) exited 0 but wrote no output '\(port.spec.name)': expected \(port.pluginFile) in its output directory, or a path under the reply's outputs")
                }
                throw StageFailure("\(name) exited 0 but its reply names output '\(port.spec.name)' as '\(named!)', which does not exist")
            }
            guard resolved.hasPrefix(outRoot + "/") else {
                throw StageFailure("\(name) wrote outside its output directory: output '\(port.spec.name)' is \(resolved); write outputs under the request's output_directory")
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw StageFailure("\(name): output '\(port.spec.name)' (\(resolved)) is a directory, not a file")
            }
            var file = URL(fileURLWithPath: resolved)
            if port.spec.kind == .table, port.format == .csv {
                let converted = scratch.appendingPathComponent("inputs", isDirectory: true).appendingPathComponent("output-\(port.spec.name).pftable")
                do { try conversion.writeTable(fromCSVAt: file, to: converted) } catch {
                    throw StageFailure("\(name): output '\(port.spec.name)' is not a table Paperflow can read: \(error)")
                }
                file = converted
            }
            artifacts[port.spec.name] = .file(file)
        }
        // Symbolic links in the output directory could point anywhere; outputs were resolved
        // above, and what is left there is discarded with the scratch directory.
        return artifacts
    }

    /// The command with its program resolved (a path inside the plugin folder, or on `PATH`) and
    /// every argument that names a file in the plugin folder made absolute, since the process
    /// runs in its own working directory.
    func resolvedCommand() throws -> [String] {
        var command = plugin.manifest.command
        for index in command.indices.dropFirst() where !command[index].hasPrefix("/") {
            let candidate = plugin.folder.appendingPathComponent(command[index]).standardizedFileURL.path
            if FileSystem.exists(candidate) { command[index] = candidate }
        }
        let program = command[0]
        if program.contains("/") {
            command[0] = program.hasPrefix("/") ? program : plugin.folder.appendingPathComponent(program).standardizedFileURL.path
        } else if FileSystem.exists(plugin.folder.appendingPathComponent(program).path) {
            command[0] = plugin.folder.appendingPathComponent(program).path
        } else {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            guard let found = path.split(separator: ":").map({ "\($0)/\(program)" }).first(where: { (candidate: String) in access(candidate, X_OK) == 0 }) else {
                throw StageFailure("\(name) needs '\(program)', which is not on PATH; install it (see \(plugin.manifest.file)'s command)")
            }
            command[0] = found
        }
        guard access(command[0], X_OK) == 0 else {
            throw StageFailure("\(name): '\(command[0])' is not an executable file (command in \(plugin.manifest.file))")
        }
        return command
    }

    /// Fails when the plugin wrote beside its output directory or changed its own folder (which
    /// would change its key after the fact).
    func checkNoEscapes(scratch: URL) throws {
        let stray = ((try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? [])
            .filter { !Self.scratchEntries.contains($0) }.sorted()
        if !stray.isEmpty {
            throw StageFailure("\(name) wrote outside its output directory: \(stray.map { scratch.appendingPathComponent($0).path }.joined(separator: ", ")); "
                               + "write outputs under the request's output_directory and temporary files in the working directory")
        }
        if let now = try? ExternalPlugin.folderDigest(plugin.folder), now != plugin.digest {
            throw StageFailure("\(name) changed its own folder \(plugin.folder.path) while running; "
                               + "keep caches and environments in the request's environment_directory")
        }
    }

    /// What a reply says.
    struct Reply {
        var outputs: [String: String] = [:]
        var diagnostics: [(Diagnostic.Severity, String)] = []
    }

    /// Reads and checks the reply file.
    func readReply(_ url: URL) throws -> Reply {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw StageFailure("\(name) exited 0 but wrote no reply; write JSON to the path in the request's 'reply' (\(url.path))")
        }
        let value: ParamValue
        do { value = try JSONReader.parse(data) } catch {
            throw StageFailure("\(name) wrote a malformed reply: \(url.path):\(error.line):\(error.column): \(error.message)")
        }
        guard case let .map(fields) = value else {
            throw StageFailure("\(name) wrote a malformed reply: \(url.path): expected a JSON object, found \(value.typeDescription)")
        }
        var reply = Reply()
        let declared = plugin.manifest.outputs.map(\.spec.name)
        func malformed(_ message: String) -> StageFailure { StageFailure("\(name) wrote a malformed reply: \(url.path): \(message)") }
        for (key, field) in fields.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "outputs":
                guard case let .map(entries) = field else { throw malformed("'outputs' must map output names to file paths, found \(field.typeDescription)") }
                for (port, path) in entries {
                    guard declared.contains(port) else {
                        throw malformed("'outputs' names '\(port)', which \(plugin.manifest.file) does not declare" + NameSuggestion.didYouMean(port, in: declared))
                    }
                    guard let text = path.stringValue, !text.isEmpty else { throw malformed("outputs.\(port) must be a file path, found \(path.typeDescription)") }
                    reply.outputs[port] = text
                }
            case "messages":
                guard let items = field.listValue, items.allSatisfy({ $0.stringValue != nil }) else {
                    throw malformed("'messages' must be a list of strings")
                }
                reply.diagnostics += items.compactMap(\.stringValue).map { (.note, $0) }
            case "diagnostics":
                guard let items = field.listValue else { throw malformed("'diagnostics' must be a list of {level, message} objects") }
                for (index, item) in items.enumerated() {
                    guard let message = item.mapValue?["message"]?.stringValue,
                          let severity = Diagnostic.Severity(rawValue: item.mapValue?["level"]?.stringValue ?? "warning") else {
                        throw malformed("diagnostics[\(index)] must be {\"level\": \"error\" | \"warning\" | \"note\", \"message\": \"...\"}")
                    }
                    reply.diagnostics.append((severity, message))
                }
            default:
                throw malformed("unknown field '\(key)'" + NameSuggestion.didYouMean(key, in: ["outputs", "messages", "diagnostics"])
                                + "; a reply has outputs, messages and diagnostics")
            }
        }
        return reply
    }

    /// The error diagnostics of a reply written before a non-zero exit, if it parses.
    func replyErrors(_ url: URL) -> String {
        guard let reply = try? readReply(url) else { return "" }
        let errors = reply.diagnostics.filter { $0.0 == .error }.map(\.1)
        return errors.isEmpty ? "" : ": " + errors.joined(separator: "; ")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
