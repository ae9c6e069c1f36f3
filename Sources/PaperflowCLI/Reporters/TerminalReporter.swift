import Foundation
import PaperflowCore
import Synchronization

/// The live display on a terminal: finished stages scroll above a status line that shows
/// done / running / cached counts, the elapsed time, and a progress bar for running stages.
final class TerminalReporter: ExecutionEventSink {
    struct State {
        var total = 0
        var done = 0
        var cached = 0
        var failed = 0
        var running: [String: Double?] = [:]
        var started = Date()
    }

    let console: Console
    private let state = Mutex(State())
    /// Redraws the status line four times a second so the elapsed time moves.
    /// Touched only here and in deinit; DispatchSourceTimer itself is thread-safe but not
    /// marked Sendable, hence the reviewed `nonisolated(unsafe)`.
    nonisolated(unsafe) private let timer: any DispatchSourceTimer

    init(console: Console) {
        self.console = console
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "paperflow.terminal"))
        timer.schedule(deadline: .now() + 0.25, repeating: 0.25)
        timer.setEventHandler { [weak self] in self?.redraw(nil) }
        timer.resume()
    }

    deinit { timer.cancel() }

    func handle(_ event: ExecutionEvent) {
        var line: String?
        state.withLock { s in
            switch event {
            case let .runStarted(_, workflow, count):
                s = State(total: count)
                line = "\u{1B}[1m\(workflow)\u{1B}[0m: \(count) stages"
            case let .stageCached(stage, _):
                s.cached += 1
                line = "\u{1B}[2mcached   \(stage)\u{1B}[0m"
            case let .stageStarted(stage, _, _):
                s.running[stage] = .some(nil)
            case let .stageProgress(stage, fraction):
                s.running[stage] = fraction
            case let .stageFinished(stage, seconds):
                s.running[stage] = nil
                s.done += 1
                line = "\u{1B}[32mdone\u{1B}[0m     \(stage) \(PlainReporter.format(seconds))"
            case let .stageFailed(stage, message):
                s.running[stage] = nil
                s.failed += 1
                line = "\u{1B}[1;31mFAILED\u{1B}[0m   \(stage): \(message)"
            case let .stageSkipped(stage, reason):
                line = "\u{1B}[33mskipped\u{1B}[0m  \(stage): \(reason)"
            case let .warning(stage, message):
                line = "\u{1B}[35mwarning:\u{1B}[0m \(stage.map { "\($0): " } ?? "")\(message)"
            case let .note(stage, message):
                line = "\u{1B}[36mnote:\u{1B}[0m    \(stage): \(message)"
            case let .runFinished(summary):
                // total = 0 stops the timer's redraws from drawing a status line after the summary.
                s = State()
                line = PlainReporter.summaryLine(summary)
            }
        }
        if case .runFinished = event {
            console.raw("\r\u{1B}[K")
            if let line { console.out(line) }
            return
        }
        redraw(line)
    }

    private func redraw(_ line: String?) {
        let status: String = state.withLock { s in
            guard s.total > 0 else { return "" }
            let finished = s.done + s.cached + s.failed
            let width = 24
            let filled = min(width, Int(Double(width) * Double(finished) / Double(max(s.total, 1))))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let running = s.running.keys.sorted().prefix(3).map { name -> String in
                if let fraction = s.running[name] ?? nil { return "\(name) \(Int(fraction * 100))%" }
                return name
            }.joined(separator: ", ")
            let elapsed = String(format: "%.1fs", Date().timeIntervalSince(s.started))
            return "\(bar) \(finished)/\(s.total)  done \(s.done) · running \(s.running.count) · cached \(s.cached)  \(elapsed)"
                + (running.isEmpty ? "" : "  \(running)")
        }
        if status.isEmpty && line == nil { return }
        var text = "\r\u{1B}[K"
        if let line { text += line + "\n" }
        text += status
        console.raw(text)
    }
}
