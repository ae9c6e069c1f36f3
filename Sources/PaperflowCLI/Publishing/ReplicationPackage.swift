import Foundation
import PaperflowCore
#if canImport(Glibc)
import Glibc
#endif

/// `paperflow package`: the replication package a data editor asks for, written from the
/// workflows' locks, the store's run records and the workflows' `data:` and `label:` blocks —
/// the Social Science Data Editors' template README, the data the package may hold, the
/// workflows and scripts that make every exhibit, the exhibits themselves, a provenance crate
/// and a `sha256sum -c` manifest.
///
/// Layout (paths inside the project keep their place, so the package is itself a project):
/// ```
/// README.md, README.pdf   the template README (the PDF where pdflatex is present)
/// MANIFEST.sha256         every other file, for `sha256sum -c`
/// CITATION.cff            from the first workflow's `paper:` block
/// ro-crate-metadata.json  Workflow Run RO-Crate (Provenance Run Crate 0.5) of the runs
/// Workflows/…             workflows, locks, public data with their READMEs and licences, scripts
/// Plugins/…               external plugins the workflows use
/// outputs/W/STAGE/FILE    every labelled output
/// ```
struct ReplicationPackage {
    let workflows: [PublishedWorkflow]
    let projectRoot: URL

    /// A problem that stops the package from being written.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// What was written.
    struct Written {
        var files: Int
        var bytes: Int64
        var leftOut: [String]
        var pdf: Bool
    }

    /// The section titles the template README must have (`package --check` on a package).
    static let sections = [
        "Overview", "Data Availability and Provenance Statements", "Dataset list", "Computational requirements",
        "Description of programs/code", "Instructions to Replicators", "List of tables and programs", "References",
    ]

    // MARK: Preconditions

    /// Every workflow has a lock equal to what a run would make now, and every output it names
    /// is in the store: the package describes outputs that exist, made by this build.
    func checkCurrent() throws {
        for published in workflows {
            guard let lock = published.lock else {
                throw Failure(description: "\(published.relativePath) has no lock file: run 'paperflow run \(published.relativePath)' first")
            }
            let plan = try published.session.plan(store: published.store)
            let stale = plan.entries.filter { $0.status != .cached || $0.key != lock.stages[$0.stage]?.key }.map(\.stage)
            if !stale.isEmpty {
                throw Failure(description: "\(published.relativePath): the lock and the store do not describe the workflow as it is (\(stale.prefix(5).joined(separator: ", "))\(stale.count > 5 ? ", …" : "")): run 'paperflow run \(published.relativePath)' first")
            }
        }
    }

    // MARK: Writing

    /// Writes the package to `out` (which must not exist or be empty). It is assembled in a
    /// sibling folder and renamed into place, so an interrupted run leaves no half package.
    func write(to out: URL, machine: MachineDescription, build: BuildIdentity, confidentialTo: URL?) throws -> Written {
        try checkCurrent()
        let fm = FileManager.default
        try Self.requireNewFolder(out, for: "the package")
        let staging = out.deletingLastPathComponent().appendingPathComponent(".\(out.lastPathComponent).partial-\(getpid())", isDirectory: true)
        _ = FileSystem.removeTree(staging.path)
        try FileSystem.makeDirectory(staging)
        var completed = false
        defer { if !completed { _ = FileSystem.removeTree(staging.path) } }

        var leftOut: [String] = []
        var confidentialFiles: [(path: String, source: URL)] = []
        for published in workflows {
            try copy(published.relativePath, into: staging)
            try copy(PublishedWorkflow.relative(published.session.lockURL, to: projectRoot), into: staging)
            for file in published.dataFiles {
                if file.provided {
                    try copy(file.path, into: staging)
                    try copyNotes(besides: file.path, into: staging)
                } else {
                    leftOut.append(file.path)
                    confidentialFiles.append((file.path, projectRoot.appendingPathComponent(file.path)))
                }
            }
            for (_, data) in published.dataStages {
                for licence in [data?.licenceFile, data?.replaces?.licenceFile].compactMap({ $0 }) { try copy(licence, into: staging) }
            }
            for script in published.codeFiles { try copy(script, into: staging) }
            for plugin in published.externalPlugins { try copy(plugin.folder, into: staging) }
            // The files it exports into the project are results too; `verify` rewrites them.
            for exported in published.exportedFiles {
                let target = staging.appendingPathComponent(exported.path)
                try FileSystem.makeDirectory(target.deletingLastPathComponent())
                if !FileSystem.exists(target.path) { try copyFile(published.store.blobURL(exported.output.digest), to: target) }
            }
            try copyExhibits(of: published, into: staging)
        }

        let readme = PackageReadme(workflows: workflows, machine: machine, build: build, leftOut: leftOut).document
        try write(readme.markdown, to: staging.appendingPathComponent("README.md"))
        let pdf = try PackageReadme.compilePDF(readme, in: staging)
        if let citation = PackageReadme.citationFile(workflows.first) {
            try write(citation, to: staging.appendingPathComponent("CITATION.cff"))
        }
        let crate = try RunCrate(workflows: workflows, build: build, root: staging).metadata()
        try write(crate, to: staging.appendingPathComponent(RunCrate.metadataFileName))
        let (files, bytes) = try Manifest.write(in: staging)

        if let confidentialTo, !confidentialFiles.isEmpty {
            try ConfidentialPackage.write(confidentialFiles, projectRoot: projectRoot, to: confidentialTo, publicPackage: out.lastPathComponent)
        }
        if FileSystem.isDirectory(out.path) { try fm.removeItem(at: out) }
        guard rename(staging.path, out.path) == 0 else {
            throw Failure(description: "cannot move the package into \(out.path): \(String(cString: strerror(errno)))")
        }
        completed = true
        return Written(files: files, bytes: bytes, leftOut: leftOut, pdf: pdf)
    }

    /// Refuses `url` unless it does not exist or is an empty folder (not a link to one).
    static func requireNewFolder(_ url: URL, for purpose: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) || isSymlink(url.path) else { return }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        guard isDirectory.boolValue, entries.isEmpty, !isSymlink(url.path) else {
            throw Failure(description: "\(url.path) exists and is not an empty folder: name a new folder for \(purpose)")
        }
    }

    /// Copies the labelled outputs of `published` from the store to their places under `root`,
    /// but those of confidential stages, which never leave this machine.
    func copyExhibits(of published: PublishedWorkflow, into root: URL) throws {
        for exhibit in published.exhibits where !exhibit.withheld {
            let target = root.appendingPathComponent(exhibit.packagePath)
            try FileSystem.makeDirectory(target.deletingLastPathComponent())
            if !FileSystem.exists(target.path) { try copyFile(published.store.blobURL(exhibit.output.digest), to: target) }
        }
    }

    func write(_ text: String, to url: URL) throws {
        try FileSystem.writeAtomically(Data(text.utf8), to: url)
    }

    static func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// Copies the project file or folder `path` to the same place in `staging`. A symbolic link
    /// is refused (a package holds files, and a link could point out of the project).
    func copy(_ path: String, into staging: URL) throws {
        let source = projectRoot.appendingPathComponent(path)
        let target = staging.appendingPathComponent(path)
        guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            throw Failure(description: "\(path) is outside the project: a package holds project files only")
        }
        if FileSystem.exists(target.path) { return }
        if Self.isSymlink(source.path) {
            throw Failure(description: "\(path) is a symbolic link: replace it with the file itself before packaging")
        }
        if FileSystem.isDirectory(source.path) {
            try FileSystem.makeDirectory(target)
            for entry in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted() where !entry.hasPrefix(".") {
                try copy(path + "/" + entry, into: staging)
            }
            return
        }
        guard FileSystem.exists(source.path) else { throw Failure(description: "\(path) does not exist: run the workflow first, or fix its path") }
        try FileSystem.makeDirectory(target.deletingLastPathComponent())
        try copyFile(source, to: target)
    }

    func copyFile(_ source: URL, to target: URL) throws {
        try FileManager.default.copyItem(at: source, to: target)
        chmod(target.path, 0o644)
    }

    /// The README, SOURCE and LICENSE files beside a data file and in the folders above it:
    /// attribution travels with the data.
    func copyNotes(besides path: String, into staging: URL) throws {
        var folder = (path as NSString).deletingLastPathComponent
        // Up to a top-level folder (Workflows/, Sources/), whose README is the project's, not the data's.
        while folder.contains("/") {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: projectRoot.appendingPathComponent(folder).path)) ?? []
            for entry in entries.sorted() where Self.isNote(entry) {
                try copy(folder + "/" + entry, into: staging)
            }
            folder = (folder as NSString).deletingLastPathComponent
        }
    }

    static func isNote(_ name: String) -> Bool {
        let upper = name.uppercased()
        return ["README.MD", "SOURCE.MD"].contains(upper) || upper.hasPrefix("LICENSE") || upper.hasPrefix("LICENCE") || upper.hasPrefix("NOTICE")
    }
}

/// `MANIFEST.sha256`: every file of a package with its SHA-256, in `sha256sum` format
/// (`HEX  PATH`), sorted by path — `sha256sum -c MANIFEST.sha256` checks the package.
enum Manifest {
    static let fileName = "MANIFEST.sha256"

    /// Writes the manifest of every file under `root`; returns the file count and their bytes.
    static func write(in root: URL) throws -> (files: Int, bytes: Int64) {
        var lines: [String] = []
        var bytes: Int64 = 0
        for path in try files(under: root) where path != fileName {
            let (digest, size) = try ContentHasher.digest(ofFileAt: root.appendingPathComponent(path).path)
            lines.append("\(digest.hex)  \(path)")
            bytes += size
        }
        try FileSystem.writeAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: root.appendingPathComponent(fileName))
        return (lines.count, bytes)
    }

    /// Relative paths of the regular files under `root`, sorted; links are not followed. A
    /// top-level `Artifacts/` is the store of whoever reruns the package (and a plugin's venv),
    /// not part of it.
    static func files(under root: URL) throws -> [String] {
        var result: [String] = []
        func walk(_ relative: String) throws {
            let url = relative.isEmpty ? root : root.appendingPathComponent(relative)
            for entry in try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() {
                let path = relative.isEmpty ? entry : relative + "/" + entry
                if relative.isEmpty && entry == "Artifacts" { continue }
                let full = root.appendingPathComponent(path).path
                if ReplicationPackage.isSymlink(full) { continue }
                if FileSystem.isDirectory(full) { try walk(path) } else { result.append(path) }
            }
        }
        try walk("")
        return result.sorted()
    }

    /// The manifest's entries that do not match the files (missing or changed), and the
    /// package's files the manifest does not list.
    static func check(in root: URL) throws -> (mismatched: [String], unlisted: [String]) {
        let text = try String(contentsOf: root.appendingPathComponent(fileName), encoding: .utf8)
        var listed: Set<String> = []
        var mismatched: [String] = []
        for line in text.split(separator: "\n") {
            guard let cut = line.range(of: "  ") else { mismatched.append(String(line)); continue }
            let hex = String(line[..<cut.lowerBound]), path = String(line[cut.upperBound...])
            listed.insert(path)
            let digest = try? ContentHasher.digest(ofFileAt: root.appendingPathComponent(path).path).digest
            if digest?.hex != hex { mismatched.append(path) }
        }
        let unlisted = try files(under: root).filter { $0 != fileName && !listed.contains($0) }
        return (mismatched, unlisted)
    }
}

/// The Economic Journal's layout for confidential data: a separate folder, "not for
/// publication", that goes to the data editor privately. It stays on this machine until the
/// researcher sends it (the trust model: Paperflow never uploads confidential data).
enum ConfidentialPackage {
    static func write(_ files: [(path: String, source: URL)], projectRoot: URL, to folder: URL, publicPackage: String) throws {
        let fm = FileManager.default
        try ReplicationPackage.requireNewFolder(folder, for: "the confidential data")
        try FileSystem.makeDirectory(folder)
        for (path, source) in files {
            guard !ReplicationPackage.isSymlink(source.path), FileSystem.exists(source.path) else {
                throw ReplicationPackage.Failure(description: "confidential input \(path) is missing or a symbolic link")
            }
            let target = folder.appendingPathComponent(path)
            try FileSystem.makeDirectory(target.deletingLastPathComponent())
            if !fm.fileExists(atPath: target.path) { try fm.copyItem(at: source, to: target) }
        }
        let readme = """
            # Confidential data — not for publication

            For the data editor only, to be sent privately and not deposited. These files are the
            confidential inputs that the replication package `\(publicPackage)` leaves out, at the
            paths its workflows read them from: copy them into the package folder, keeping the
            paths, and run `paperflow verify .` there.

            \(files.map { "- `\($0.path)`" }.joined(separator: "\n"))

            """
        try FileSystem.writeAtomically(Data(readme.utf8), to: folder.appendingPathComponent("README.md"))
        _ = try Manifest.write(in: folder)
    }
}
