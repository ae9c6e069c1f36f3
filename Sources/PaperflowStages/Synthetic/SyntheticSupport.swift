import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// Seeded draws for the generators: the same seed gives the same data on every machine
/// (xoshiro256** through `SeededGenerator`; normals by Box–Muller, one pair per two draws).
struct Draws {
    private var generator: SeededGenerator
    private var spare: Double?

    init(seed: Int64, stream: UInt64 = 0) {
        generator = SeededGenerator(seed: UInt64(bitPattern: seed) &+ stream &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { generator.unit() }

    /// Uniform in [a, b).
    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// True with probability p.
    mutating func chance(_ p: Double) -> Bool { uniform() < p }

    /// A standard normal.
    mutating func normal() -> Double {
        if let value = spare { spare = nil; return value }
        var u = uniform()
        while u == 0 { u = uniform() }
        let radius = (-2 * log(u)).squareRoot(), angle = 2 * Double.pi * uniform()
        spare = radius * sin(angle)
        return radius * cos(angle)
    }

    /// A normal with mean and standard deviation.
    mutating func normal(_ mean: Double, _ sd: Double) -> Double { mean + sd * normal() }

    /// An integer in 0 ..< n.
    mutating func index(_ n: Int) -> Int { Int(uniform() * Double(n)) }

    /// One element.
    mutating func pick<T>(_ items: [T]) -> T { items[index(items.count)] }

    /// An index drawn with probability proportional to its weight.
    mutating func weighted(_ weights: [Double]) -> Int {
        var target = uniform() * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            target -= weight
            if target < 0 { return index }
        }
        return weights.count - 1
    }

    /// The items in a random order (Fisher–Yates).
    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var items = items
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, index(i + 1)) }
        return items
    }
}

/// The size presets every generator takes: `small` for tests, `default` for the shipped
/// workflows (minutes on a laptop), `benchmark` for `Benchmarks/`.
enum SyntheticScale: String, CaseIterable {
    case small, `default`, benchmark

    static let parameter = ParamSpec("scale", .oneOf(allCases.map(\.rawValue)), default: .string("default"),
                                     summary: "small (tests) | default | benchmark")
    static let seedParameter = ParamSpec("seed", .int, default: .int(1), summary: "the random seed: the same seed gives the same data")
    static let sourceParameter = ParamSpec("source", .path, default: .string(""),
                                           summary: "a CSV file with the same columns to use instead of generating (\"\": generate)")

    init(_ context: StageContext) { self = SyntheticScale(rawValue: context.string("scale") ?? "default") ?? .default }

    /// The value for this scale.
    func pick<T>(_ small: T, _ standard: T, _ benchmark: T) -> T {
        switch self {
        case .small: return small
        case .default: return standard
        case .benchmark: return benchmark
        }
    }
}

/// A user's file standing in for a generator's output: read, and checked for the columns the
/// workflow needs, so a missing column is named with the file before any stage reads it.
enum SyntheticSource {
    /// The table in `path`, which must have `required` columns (`types` declares some).
    static func read(_ context: StageContext, path: String, required: [String], types: [String: DataType] = [:]) throws -> Table {
        var options = CSVOptions()
        options.schema = types
        let table: Table
        do {
            table = try CSVReader.read(contentsOf: context.projectURL(path), displayPath: path, options: options).0
        } catch let error as CSVError {
            throw StageFailure(error.description)
        }
        let missing = required.filter { table[$0] == nil }
        guard missing.isEmpty else {
            throw StageFailure("\(path) has no column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); "
                               + "the workflow needs \(required.joined(separator: ", ")) (it has \(table.names.joined(separator: ", ")))")
        }
        return table
    }

    /// The user's file named by `parameter` when it is set (checked for `required` columns),
    /// else the generated table.
    static func table(_ context: StageContext, _ parameter: String, required: [String], types: [String: DataType] = [:],
                      generated: () throws -> Table) throws -> Table {
        let path = context.string(parameter) ?? ""
        return path.isEmpty ? try generated() : try read(context, path: path, required: required, types: types)
    }

    /// A table's column as text values (categories and strings), for lookups.
    static func texts(_ table: Table, _ name: String, for input: String) throws -> [String] {
        guard let column = table[name] else {
            throw StageFailure("input \(input) has no column '\(name)'; it has \(table.names.joined(separator: ", "))")
        }
        return (0..<column.count).map { row in
            switch column[row] {
            case let .string(text): return text
            case .missing: return ""
            case let other: return other.description
            }
        }
    }
}

extension Column {
    /// A category column from text values.
    static func categories(_ values: [String]) -> Column { Column(category: values.map { Optional($0) }) }
}
