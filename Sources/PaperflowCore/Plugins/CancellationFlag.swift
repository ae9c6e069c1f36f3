import Synchronization

/// A flag set once when a run is cancelled; cheap to poll from any thread.
public final class CancellationFlag: Sendable {
    private let state = Atomic<Bool>(false)

    /// Creates an unset flag.
    public init() {}

    /// Whether cancellation was requested.
    public var isCancelled: Bool { state.load(ordering: .acquiring) }

    /// Requests cancellation.
    public func cancel() { state.store(true, ordering: .releasing) }
}
