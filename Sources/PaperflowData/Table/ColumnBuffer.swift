/// The immutable, contiguous values of a fixed-width column (Int64, Double, Bool, category
/// codes). It either owns its memory or lies inside a mapped table file, which it keeps mapped:
/// reading a table artifact then costs no copy and no fresh pages (`BinaryTableFormat.read`).
///
/// Indexing is checked, as an array's is. A buffer is built once and never changed, so copies
/// share it freely.
public struct ColumnBuffer<Element: BitwiseCopyable>: RandomAccessCollection, @unchecked Sendable {
    /// Keeps the memory alive: a `ColumnMemory` the buffer owns, or the `MappedFile` it lies in.
    private let owner: AnyObject?
    private let base: UnsafePointer<Element>?
    public let count: Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    @inline(__always)
    public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < count, "ColumnBuffer index \(position) out of range 0..<\(count)")
        return base.unsafelyUnwrapped[position]
    }

    /// A buffer holding `values`.
    public init(_ values: some Collection<Element>) {
        self.init(unsafeUninitializedCapacity: values.count) { buffer, count in
            count = buffer.initialize(from: values).1
        }
    }

    /// A buffer with room for `capacity` values, of which `body` initialises the first `count`
    /// (as `Array.init(unsafeUninitializedCapacity:initializingWith:)`; room never written is
    /// never touched, so it costs address space, not memory).
    public init(unsafeUninitializedCapacity capacity: Int,
                initializingWith body: (UnsafeMutableBufferPointer<Element>, inout Int) throws -> Void) rethrows {
        let memory = ColumnMemory(byteCount: capacity * MemoryLayout<Element>.stride, alignment: MemoryLayout<Element>.alignment)
        let pointer = memory.pointer.bindMemory(to: Element.self, capacity: capacity)
        var count = 0
        try body(UnsafeMutableBufferPointer(start: pointer, count: capacity), &count)
        precondition(count >= 0 && count <= capacity, "initialised \(count) of \(capacity) values")
        owner = memory
        base = UnsafePointer(pointer)
        self.count = count
    }

    /// The first `count` values of `memory`, which the caller has initialised (readers that fill
    /// one column from several threads allocate the memory first, then wrap it).
    init(memory: ColumnMemory, count: Int) {
        owner = memory
        base = count == 0 ? nil : UnsafePointer(memory.pointer.bindMemory(to: Element.self, capacity: count))
        self.count = count
    }

    /// The `count` values at `offset` of a mapped file (which must be aligned for `Element`).
    init(mapping file: MappedFile, offset: Int, count: Int) {
        precondition(offset % MemoryLayout<Element>.alignment == 0, "misaligned column buffer")
        owner = file
        base = count == 0 ? nil : (file.bytes.baseAddress! + offset).assumingMemoryBound(to: Element.self)
        self.count = count
    }

    /// The first value's address, valid while this buffer (or a copy of it) lives; for loops
    /// that must not touch reference counts.
    var baseAddress: UnsafePointer<Element>? { base }

    /// Calls `body` with the values in memory.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(UnsafeBufferPointer(start: base, count: count)) }
    }
}

extension ColumnBuffer: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Element...) {
        self.init(elements)
    }
}

extension ColumnBuffer: Equatable where Element: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && (lhs.base == rhs.base || lhs.elementsEqual(rhs))
    }
}

extension ColumnBuffer: Hashable where Element: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for element in self { hasher.combine(element) }
    }
}

extension ColumnBuffer: CustomStringConvertible {
    public var description: String { Array(self).description }
}

/// Memory a `ColumnBuffer` owns.
final class ColumnMemory {
    let pointer: UnsafeMutableRawPointer

    init(byteCount: Int, alignment: Int) {
        pointer = .allocate(byteCount: max(byteCount, 1), alignment: max(alignment, 8))
        PageAdvice.hugePages(UnsafeMutableRawBufferPointer(start: pointer, count: byteCount))
    }

    deinit {
        pointer.deallocate()
    }
}
