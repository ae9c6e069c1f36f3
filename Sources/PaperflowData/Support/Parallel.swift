import Dispatch

/// Data-parallel loops over the machine's cores.
enum Parallel {
    /// Calls `body` for every index in `0..<iterations`, spread over the cores, and returns when
    /// all calls have. Each call must touch only state of its own index (disjoint rows of a
    /// buffer, its own slot of a results buffer); that is the caller's promise, which the
    /// compiler cannot check for unsafe buffers.
    static func forEach(_ iterations: Int, _ body: (Int) -> Void) {
        guard iterations > 1 else {
            if iterations == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: iterations) { shared.value($0) }
        }
    }
}

/// Carries a value into a `@Sendable` closure under the promise documented at the use.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
