import ArgumentParser
import Foundation
import PaperflowCore

/// `paperflow package`: writes the replication package of workflows, or checks one.
struct PackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Write the replication package a data editor asks for, or check one (--check).",
        discussion: """
            paperflow package Workflows/W.yaml… OUT/ writes OUT/ from the workflows' lock files, run \
            records and data: blocks: README.md (the Social Science Data Editors' template, and \
            README.pdf where pdflatex is present), the workflows and locks, the data the package may \
            hold with their READMEs and licences, the labelled tables and figures, CITATION.cff, a \
            provenance RO-Crate and MANIFEST.sha256. Confidential data stay out. Run the workflows \
            first: the package describes the outputs the lock files record.

            paperflow package --check Workflows/W.yaml… (or a package folder) lists what a data \
            editor would send back: missing data statements, citations or licences, unlabelled \
            tables and figures, seeds not stated, absolute paths or undeclared files in shell \
            commands, files over repository size limits. It exits 1 when it finds any.
            """
    )

    @Argument(help: ArgumentHelp("Workflow files (or folders of workflows), then the package folder to write; with --check, workflows or a package folder.",
                                 valueName: "workflow|folder"))
    var arguments: [String]

    @Flag(help: "Check instead of writing: the data editors' checklist, one finding per line.")
    var check = false

    @Flag(help: "Also write OUT.zip beside the folder.")
    var zip = false

    @Option(help: ArgumentHelp("Copy the confidential inputs the package leaves out into this folder, marked not for publication (the Economic Journal's layout), for the data editor only.",
                               valueName: "folder"))
    var confidentialTo: String?

    @OptionGroup var options: ProjectOptions

    func validate() throws {
        if check {
            if arguments.isEmpty { throw ValidationError("name the workflows or the package folder to check") }
        } else if arguments.count < 2 {
            throw ValidationError("name the workflows and then the folder to write: paperflow package Workflows/W.yaml OUT/")
        }
    }

    func run() throws {
        let console = Console.shared
        if check { return try runCheck(console: console) }
        let out = WorkflowSession.url(of: arguments.last!)
        let paths = try WorkflowSession.workflowPaths(Array(arguments.dropLast()))
        let workflows = try paths.map { try PublishedWorkflow.open($0, options: options, console: console) }
        let package = ReplicationPackage(workflows: workflows, projectRoot: options.projectRoot)
        do {
            let written = try package.write(to: out, machine: .current, build: PaperflowVersion.build,
                                            confidentialTo: confidentialTo.map(WorkflowSession.url(of:)))
            console.out("package: \(out.path) (\(written.files) files, \(PackageReadme.megabytes(written.bytes)))" + (written.pdf ? ", README.pdf" : ""))
            if !written.leftOut.isEmpty {
                console.out("left out (confidential or not provided): " + written.leftOut.joined(separator: ", ")
                            + (confidentialTo.map { "; copied to \($0), not for publication" } ?? ""))
            }
            if zip {
                let archive = out.deletingLastPathComponent().appendingPathComponent(out.lastPathComponent + ".zip")
                try ZipWriter.write(folder: out, prefix: out.lastPathComponent, to: archive)
                console.out("zip: \(archive.path)")
            }
            let findings = workflows.flatMap(PackageChecklist.check)
            if !findings.isEmpty {
                console.err("\(findings.count) checklist findings (paperflow package --check \(paths.joined(separator: " "))):")
                console.printFindings(findings.map { var d = $0; d.severity = .warning; return d })
            }
        } catch let failure as ReplicationPackage.Failure {
            console.err("error: \(failure)")
            throw ExitCode.failure
        } catch let failure as RunCrate.Failure {
            console.err("error: \(failure)")
            throw ExitCode.failure
        }
    }

    /// `--check`: on a package folder (one with a MANIFEST or README), its files and its
    /// workflows; on workflows, their checklist in this project.
    func runCheck(console: Console) throws {
        var findings: [Diagnostic] = []
        for argument in arguments {
            let url = WorkflowSession.url(of: argument)
            let isPackage = FileSystem.exists(url.appendingPathComponent(Manifest.fileName).path)
                || FileSystem.exists(url.appendingPathComponent("README.md").path) && FileSystem.isDirectory(url.appendingPathComponent("Workflows").path)
            if isPackage {
                findings += try PackageChecklist.checkPackage(at: url)
                let packageOptions = try ProjectOptions.parse(["--project", url.path])
                for path in try PublishedWorkflow.packagedWorkflows(in: url) {
                    findings += PackageChecklist.check(try PublishedWorkflow.open(path, options: packageOptions, console: console))
                }
            } else {
                for path in try WorkflowSession.workflowPaths([argument]) {
                    findings += PackageChecklist.check(try PublishedWorkflow.open(path, options: options, console: console))
                }
            }
        }
        if findings.isEmpty {
            console.out("no findings")
            return
        }
        console.printFindings(findings)
        console.err("\(findings.count) finding\(findings.count == 1 ? "" : "s")")
        throw ExitCode.failure
    }
}
