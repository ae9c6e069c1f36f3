import Foundation
import PaperflowCore

/// `paperflow package --check`: the data editors' checklist, each finding at the line and column
/// of the workflow that causes it (or the package file it concerns), with the fix.
enum PackageChecklist {
    /// Per-file limits of the places packages are deposited.
    static let sizeLimits: [(bytes: Int64, place: String)] = [
        (2_500_000_000, "Harvard Dataverse's 2.5 GB per file"),
        (100_000_000, "GitHub's 100 MB per file"),
    ]

    /// Findings in a workflow: data statements, exhibit labels, seeds, shell commands, sizes.
    static func check(_ published: PublishedWorkflow) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        let graph = published.graph
        for stage in graph.stages {
            guard let spec = published.spec(stage.name) else { continue }
            // Data statements.
            if published.isDataStage(stage.name) {
                if let data = spec.data {
                    findings += check(data, stage: stage.name, standIn: data.replaces != nil)
                    if let real = data.replaces { findings += check(real, stage: stage.name, standIn: false, real: true) }
                } else {
                    findings.append(Diagnostic(at: spec.location, "stage '\(stage.name)' brings data into the workflow but has no data statement",
                                               hint: "add 'data: {citation: …, licence: …, access: public|registration|restricted|confidential}' (for a generator, 'replaces:' the real data)"))
                }
            }
            // Shell commands: absolute paths and files read without being declared.
            if stage.pluginID == "shell", let command = spec.parameters.first(where: { $0.name == "cmd" }) {
                findings += checkCommand(command, stage: stage, projectRoot: published.session.projectRoot)
            }
            // Seeds left to the plugin's default are not in the workflow a reader sees.
            for parameter in stage.params.keys.sorted() where PublishedWorkflow.isSeedParameter(parameter)
                && !spec.parameters.contains(where: { $0.name == parameter }) {
                findings.append(Diagnostic(at: spec.location, "stage '\(stage.name)' draws random numbers with its default '\(parameter)', which the workflow does not state",
                                           hint: "write '\(parameter): …' under 'with:' (or '${params.seed}') so the README reports the seed"))
            }
        }
        // Tables and figures without a label.
        for stage in published.exhibitStages where published.spec(stage.name)?.label == nil {
            let location = published.spec(stage.name)?.location ?? SourceLocation(file: published.relativePath, line: 1, column: 1)
            findings.append(Diagnostic(at: location, "\(stage.pluginID.hasPrefix("figures.") ? "figure" : "table") stage '\(stage.name)' has no label: the package's list of tables cannot map it",
                                       hint: "add 'label: \"Table N\"' (or 'Figure N') as the paper names it"))
        }
        // Files a repository would refuse.
        for file in published.dataFiles where file.provided {
            if let size = file.size, let limit = sizeLimits.first(where: { size > $0.bytes }) {
                let spec = published.spec(file.stage)
                let location = spec?.parameters.first { PublishedWorkflow.plainText($0.value).contains(file.path) }?.valueLocation ?? spec?.location
                findings.append(Diagnostic(at: location, "\(file.path) is \(PackageReadme.megabytes(size)), over \(limit.place)",
                                           hint: "deposit it separately (e.g. Zenodo, up to 50 GB a record) and give its DOI and 'provided: false' in the data block"))
            }
        }
        return findings
    }

    static func check(_ data: DataStatement, stage: String, standIn: Bool, real: Bool = false) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        let what = real ? "the real data that stage '\(stage)' stands in for" : "the data of stage '\(stage)'"
        if data.citation == nil && !standIn {
            findings.append(Diagnostic(at: data.location, "no citation for \(what)", hint: "add 'citation: \"Author (year). Title. Publisher.\"'"))
        }
        if data.licence == nil && !standIn && (data.access ?? .public) == .public {
            findings.append(Diagnostic(at: data.location, "no licence for \(what)", hint: "add 'licence: CC-BY-4.0' (an SPDX id) or the terms in words"))
        }
        if data.access == nil && !standIn {
            findings.append(Diagnostic(at: data.location, "no access statement for \(what)", hint: "add 'access: public', 'registration', 'restricted' or 'confidential'"))
        }
        if let access = data.access, access != .public, data.obtain == nil {
            findings.append(Diagnostic(at: data.location, "\(what) are \(access.rawValue) but the block does not say how to obtain them",
                                       hint: "add 'obtain: …' (whom to ask, the application, the cost and time under 'cost:' and 'time:')"))
        }
        return findings
    }

    /// Words of a shell command: absolute paths (outside `/dev`) and project files it names but
    /// does not declare in `deps`.
    static func checkCommand(_ command: ParameterEntry, stage: ResolvedStage, projectRoot: URL) -> [Diagnostic] {
        guard case let .string(text) = command.value else { return [] }
        var findings: [Diagnostic] = []
        let separators = CharacterSet(charactersIn: " \t\n;|&<>()'\"=")
        let words = text.components(separatedBy: separators).filter { !$0.isEmpty }
        let declared = stage.fileDependencies
        for word in Set(words).sorted() {
            if word.hasPrefix("/") && !word.hasPrefix("/dev/") && word.count > 1 {
                findings.append(Diagnostic(at: command.valueLocation, "stage '\(stage.name)' runs a command with the absolute path \(word), which a replicator's machine will not have",
                                           hint: "use a path relative to the project, declared under 'deps:'"))
            } else if word.contains("/") || word.contains("."), !word.hasPrefix("$"), !word.hasPrefix("-"),
                      FileSystem.exists(projectRoot.appendingPathComponent(word).path), !FileSystem.isDirectory(projectRoot.appendingPathComponent(word).path),
                      !declared.contains(where: { word == $0 || word.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) {
                findings.append(Diagnostic(at: command.valueLocation, "stage '\(stage.name)' reads \(word) but does not declare it",
                                           hint: "add it to 'deps:' so its content is in the stage's key and the package ships it"))
            }
        }
        return findings
    }

    /// Findings in a written package: its README's sections, its manifest, its files' sizes.
    static func checkPackage(at root: URL) throws -> [Diagnostic] {
        var findings: [Diagnostic] = []
        let readmeURL = root.appendingPathComponent("README.md")
        let readme = (try? String(contentsOf: readmeURL, encoding: .utf8)) ?? ""
        if readme.isEmpty {
            findings.append(Diagnostic(at: SourceLocation(file: "README.md", line: 1, column: 1), "the package has no README.md",
                                       hint: "write the package with 'paperflow package'"))
        } else {
            let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
            for section in ReplicationPackage.sections {
                guard let index = lines.firstIndex(of: Substring("## " + section)) else {
                    findings.append(Diagnostic(at: SourceLocation(file: "README.md", line: 1, column: 1), "README.md has no section '\(section)'",
                                               hint: "the Social Science Data Editors' template asks for it"))
                    continue
                }
                let body = lines[(index + 1)...].prefix { !$0.hasPrefix("## ") }
                if body.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                    findings.append(Diagnostic(at: SourceLocation(file: "README.md", line: index + 1, column: 1), "section '\(section)' of README.md is empty"))
                }
            }
        }
        if FileSystem.exists(root.appendingPathComponent(Manifest.fileName).path) {
            let (mismatched, unlisted) = try Manifest.check(in: root)
            for path in mismatched {
                findings.append(Diagnostic(at: SourceLocation(file: path, line: 1, column: 1), "\(path) does not match its SHA-256 in \(Manifest.fileName) (changed or missing)"))
            }
            for path in unlisted {
                findings.append(Diagnostic(at: SourceLocation(file: path, line: 1, column: 1), "\(path) is not in \(Manifest.fileName)",
                                           hint: "write the package again, or remove the file"))
            }
        } else {
            findings.append(Diagnostic(at: SourceLocation(file: Manifest.fileName, line: 1, column: 1), "the package has no \(Manifest.fileName)"))
        }
        for path in try Manifest.files(under: root) {
            if let size = FileSystem.identity(ofFileAt: root.appendingPathComponent(path).path)?.size,
               let limit = sizeLimits.first(where: { size > $0.bytes }) {
                findings.append(Diagnostic(at: SourceLocation(file: path, line: 1, column: 1), "\(path) is \(PackageReadme.megabytes(size)), over \(limit.place)",
                                           hint: "deposit it separately and cite it by DOI"))
            }
        }
        return findings
    }
}
