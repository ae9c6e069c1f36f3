import Foundation
import PaperflowCore

/// One JSON object per line per event (`--json`), for tools. Every line has `event` and `time`
/// (seconds since 1970) and a monotonically increasing `seq`.
final class JSONLinesReporter: ExecutionEventSink {
    let console: Console
    private let sequence = SequenceCounter()

    init(console: Console) { self.console = console }

    func handle(_ event: ExecutionEvent) {
        var fields: [String: ParamValue] = [:]
        let name: String
        switch event {
        case let .runStarted(runID, workflow, count):
            name = "runStarted"; fields = ["run": .string(runID), "workflow": .string(workflow), "stages": .int(Int64(count))]
        case let .stageCached(stage, key):
            name = "stageCached"; fields = ["stage": .string(stage), "key": .string(key.description)]
        case let .stageStarted(stage, plugin, key):
            name = "stageStarted"; fields = ["stage": .string(stage), "plugin": .string(plugin), "key": .string(key.description)]
        case let .stageProgress(stage, fraction):
            name = "stageProgress"; fields = ["stage": .string(stage), "fraction": .double(fraction)]
        case let .stageFinished(stage, seconds):
            name = "stageFinished"; fields = ["stage": .string(stage), "seconds": .double(seconds)]
        case let .stageFailed(stage, message):
            name = "stageFailed"; fields = ["stage": .string(stage), "message": .string(message)]
        case let .stageSkipped(stage, reason):
            name = "stageSkipped"; fields = ["stage": .string(stage), "reason": .string(reason)]
        case let .warning(stage, message):
            name = "warning"; fields = ["message": .string(message)]
            if let stage { fields["stage"] = .string(stage) }
        case let .note(stage, message):
            name = "note"; fields = ["stage": .string(stage), "message": .string(message)]
        case let .runFinished(summary):
            name = "runFinished"
            fields = ["workflow": .string(summary.workflow), "succeeded": .bool(summary.succeeded),
                      "seconds": .double(summary.seconds),
                      "ran": .list(summary.ran.map(ParamValue.string)), "cached": .list(summary.cached.map(ParamValue.string)),
                      "failed": .list(summary.failed.map(ParamValue.string)), "skipped": .list(summary.skipped.map(ParamValue.string)),
                      "cancelled": .list(summary.cancelled.map(ParamValue.string))]
        }
        fields["event"] = .string(name)
        fields["time"] = .double(Date().timeIntervalSince1970)
        fields["seq"] = .int(sequence.next())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(ParamValue.map(fields)) {
            console.out(String(decoding: data, as: UTF8.self))
            console.flush()  // a stream for tools that follow the run as it goes
        }
    }
}

import Synchronization

/// A thread-safe counter for event sequence numbers.
final class SequenceCounter: Sendable {
    private let value = Atomic<Int64>(0)
    func next() -> Int64 { value.add(1, ordering: .relaxed).newValue }
}
