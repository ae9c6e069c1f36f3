import ArgumentParser
import Logging
import PaperflowCore
import PaperflowStages

/// `paperflow`: rerun a paper end to end from one YAML file.
public struct PaperflowCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "paperflow",
        abstract: "Rerun an economic-geography paper end to end from one YAML workflow, caching every artifact by content.",
        discussion: """
            Workflows live in Workflows/, artifacts in Artifacts/ (content-addressed; the latest outputs
            of each stage are visible under Artifacts/<workflow>/<stage>/). Each workflow's lock file,
            Workflows/<name>.lock, records every stage's key and output digests: commit it.
            """,
        version: PaperflowVersion.current,
        subcommands: [
            RunCommand.self, PlanCommand.self, DagCommand.self, StatusCommand.self, ShowCommand.self,
            WhyCommand.self, DiffCommand.self, ExpCommand.self, ReportCommand.self, CleanCommand.self, GCCommand.self, CacheCommand.self,
            StagesCommand.self, PackageCommand.self, VerifyCommand.self, ExportCommand.self, BenchCommand.self, ExecStageCommand.self,
        ]
    )

    public init() {}
}

/// The version printed by `--version`.
public enum PaperflowVersion {
    public static let current = "0.2.0"
    /// This build: the version and the fingerprint of every built-in stage's code and data.
    public static var build: BuildIdentity { BuildIdentity(version: current, fingerprint: BuiltinStages.buildFingerprint) }
}

/// Sets up swift-log for the command line: warnings and worse to stderr, more with
/// `PAPERFLOW_LOG_LEVEL=debug`. Called once, by the executable.
public func bootstrapLogging() {
    let level = ProcessInfo.processInfo.environment["PAPERFLOW_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

import Foundation
