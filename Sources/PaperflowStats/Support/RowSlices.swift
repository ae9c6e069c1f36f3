import Dispatch

/// Rows cut into fixed slices of 65,536 that run in parallel. The cut does not depend on the
/// number of cores and partial sums are added in slice order, so a result is the same bit for
/// bit on every machine — a cached artifact must not change with the hardware.
enum RowSlices {
    static let size = 1 << 16

    static func count(_ rows: Int) -> Int { (rows + size - 1) / size }

    static func range(_ slice: Int, _ rows: Int) -> Range<Int> { (slice * size)..<min(rows, (slice + 1) * size) }

    /// Runs `body` on every slice, in parallel; each call must write only its own rows.
    static func forEach(_ rows: Int, _ body: (Range<Int>) -> Void) {
        let slices = count(rows)
        if slices <= 1 { return body(0..<rows) }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: slices) { shared.value(range($0, rows)) }
        }
    }

    /// Sums `width` numbers over the rows: `body` adds a slice's share into a zeroed buffer.
    static func sum(_ rows: Int, width: Int, _ body: (Range<Int>, UnsafeMutableBufferPointer<Double>) -> Void) -> [Double] {
        let slices = max(count(rows), 1)
        var partials = [Double](repeating: 0, count: slices * width)
        partials.withUnsafeMutableBufferPointer { partials in
            withoutActuallyEscaping(body) { body in
                let shared = UncheckedSendable((body, partials))
                DispatchQueue.concurrentPerform(iterations: slices) { slice in
                    let (body, partials) = shared.value
                    body(range(slice, rows), UnsafeMutableBufferPointer(rebasing: partials[(slice * width)..<((slice + 1) * width)]))
                }
            }
        }
        var total = [Double](repeating: 0, count: width)
        for slice in 0..<slices {
            for index in 0..<width { total[index] += partials[slice * width + index] }
        }
        return total
    }
}
