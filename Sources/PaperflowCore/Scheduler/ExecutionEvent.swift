import Foundation

/// Something that happened during a run; every reporter is fed from these.
public enum ExecutionEvent: Sendable {
    /// The run began.
    case runStarted(runID: String, workflow: String, stageCount: Int)
    /// A stage's outputs came from the store.
    case stageCached(stage: String, key: Digest)
    /// A stage started executing.
    case stageStarted(stage: String, plugin: String, key: Digest)
    /// A running stage reported progress in 0...1.
    case stageProgress(stage: String, fraction: Double)
    /// A stage finished and its outputs are stored.
    case stageFinished(stage: String, seconds: Double)
    /// A stage failed.
    case stageFailed(stage: String, message: String)
    /// A stage was not run.
    case stageSkipped(stage: String, reason: String)
    /// Something the user should know that did not fail the run (e.g. a corrupt blob recomputed).
    case warning(stage: String?, message: String)
    /// Information a stage passed on (an external plugin's messages).
    case note(stage: String, message: String)
    /// The run ended.
    case runFinished(RunSummary)
}

/// Receives a run's events. Called from worker threads; implementations serialise their output.
public protocol ExecutionEventSink: Sendable {
    /// Handles one event.
    func handle(_ event: ExecutionEvent)
}

/// A run's result.
public struct RunSummary: Sendable {
    public var runID: String
    public var workflow: String
    public var ran: [String] = []
    public var cached: [String] = []
    public var failed: [String] = []
    public var skipped: [String] = []
    public var cancelled: [String] = []
    public var seconds: Double = 0
    /// The run record's file.
    public var recordURL: URL

    /// Creates the summary of a run that has done nothing yet.
    public init(runID: String, workflow: String, recordURL: URL) {
        self.runID = runID
        self.workflow = workflow
        self.recordURL = recordURL
    }

    /// Whether every stage ran or was cached.
    public var succeeded: Bool { failed.isEmpty && skipped.isEmpty && cancelled.isEmpty }
}
