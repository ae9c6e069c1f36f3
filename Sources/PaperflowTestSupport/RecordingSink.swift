import Foundation
import PaperflowCore
import Synchronization

/// An event with its position in the order events arrived.
public struct RecordedEvent: Sendable {
    /// 0-based arrival order.
    public var sequence: Int
    /// The event.
    public var event: ExecutionEvent

    /// The stage the event is about, if any.
    public var stage: String? {
        switch event {
        case let .stageCached(stage, _), let .stageStarted(stage, _, _), let .stageProgress(stage, _),
             let .stageFinished(stage, _), let .stageFailed(stage, _), let .stageSkipped(stage, _):
            return stage
        case let .warning(stage, _): return stage
        case let .note(stage, _): return stage
        default: return nil
        }
    }
}

/// Collects every event of a run, in arrival order.
public final class RecordingSink: ExecutionEventSink {
    private let recorded = Mutex<[RecordedEvent]>([])

    /// Creates an empty sink.
    public init() {}

    public func handle(_ event: ExecutionEvent) {
        recorded.withLock { $0.append(RecordedEvent(sequence: $0.count, event: event)) }
    }

    /// Everything received so far.
    public var events: [RecordedEvent] { recorded.withLock { $0 } }
}

extension Array where Element == RecordedEvent {
    /// Sequence number of the first `stageStarted` of `stage`.
    public func started(_ stage: String) -> Int? {
        first { if case .stageStarted(stage, _, _) = $0.event { return true } else { return false } }?.sequence
    }

    /// Sequence number of the first `stageFinished` of `stage`.
    public func finished(_ stage: String) -> Int? {
        first { if case .stageFinished(stage, _) = $0.event { return true } else { return false } }?.sequence
    }

    /// Messages of all warnings.
    public var warnings: [String] {
        compactMap { if case let .warning(_, message) = $0.event { return message } else { return nil } }
    }
}
