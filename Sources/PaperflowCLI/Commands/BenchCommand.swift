import ArgumentParser
import Foundation
import PaperflowCore
import PaperflowData
#if canImport(Glibc)
import Glibc
#endif

/// `paperflow bench`: times Paperflow's own building blocks on a file, for the scripts under
/// Benchmarks/ (which run the reference tools on the same input in the same run).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time Paperflow's building blocks on a file (used by the scripts under Benchmarks/).",
        subcommands: [CSV.self, Parquet.self, Stata.self, TableFile.self, Hash.self, Model.self]
    )

    /// Peak resident memory of this process, in bytes.
    static var peakMemory: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// `paperflow bench csv FILE`: read a CSV into a table; optionally the binary format and a group-by.
    struct CSV: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read a CSV file into a table and report the time and peak memory.")

        @Argument(help: "The CSV file.") var file: String
        @Option(help: ArgumentHelp("Declare a column's type (int64, double, bool, string, category).", valueName: "name=type"))
        var schema: [String] = []
        @Option(help: ArgumentHelp("Also write the table in the binary format to this file (read it back with `bench table`).",
                                   valueName: "path")) var binary: String?
        @Option(help: "Threads to parse with (default: every core).") var threads: Int?
        @Option(help: ArgumentHelp("Also time a group-by sum: KEY1,KEY2:VALUE.", valueName: "keys:value")) var groupSum: String?

        func run() throws {
            var options = CSVOptions()
            options.threads = threads
            for entry in schema {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let type = DataType(rawValue: parts[1]) else {
                    throw ValidationError("--schema takes name=type with type one of \(DataType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                options.schema[parts[0]] = type
            }
            var table = try Table([])
            var report = CSVReport()
            let url = URL(fileURLWithPath: file)
            let readSeconds = try BenchCommand.seconds {
                (table, report) = try CSVReader.read(contentsOf: url, displayPath: file, options: options)
            }
            var fields: [String: ParamValue] = [
                "rows": .int(Int64(table.rowCount)), "columns": .int(Int64(table.names.count)),
                "csv_read_s": .double(readSeconds), "rereads": .int(Int64(report.rereads)),
                "types": .map(report.types.mapValues { ParamValue.string($0.rawValue) }),
            ]
            if let binary {
                var bytes: [UInt8] = []
                fields["binary_write_s"] = .double(BenchCommand.seconds { bytes = BinaryTableFormat.encode(table) })
                try Data(bytes).write(to: URL(fileURLWithPath: binary))
            }
            if let groupSum {
                let parts = groupSum.split(separator: ":").map(String.init)
                guard parts.count == 2 else { throw ValidationError("--group-sum takes KEY1,KEY2:VALUE") }
                var groups = 0
                fields["group_sum_s"] = .double(try BenchCommand.seconds {
                    groups = try table.grouped(by: parts[0].split(separator: ",").map(String.init), [Aggregation(parts[1], .sum)]).rowCount
                })
                fields["groups"] = .int(Int64(groups))
            }
            fields["peak_memory_bytes"] = .int(Int64(BenchCommand.peakMemory))
            Console.shared.out(String(decoding: JSONText.compact(.map(fields)), as: UTF8.self))
        }
    }

    /// `paperflow bench parquet FILE` and `bench dta FILE`: read a file into a table as io.parquet
    /// and io.dta do; the time, peak memory, and sums that show every tool read the same values.
    static func timedRead(_ file: String, sums: [String], _ read: (URL) throws -> Table) throws {
        var table = try Table([])
        let seconds = try BenchCommand.seconds { table = try read(URL(fileURLWithPath: file)) }
        var fields: [String: ParamValue] = ["rows": .int(Int64(table.rowCount)), "read_s": .double(seconds),
                                            "types": .map(Dictionary(uniqueKeysWithValues: zip(table.names, table.columns.map { .string($0.type.rawValue) }))),
                                            "peak_memory_bytes": .int(Int64(BenchCommand.peakMemory))]
        for name in sums {
            let column = try table.column(name)
            var total = 0.0, present = 0
            for row in 0..<column.count {
                switch column[row] {
                case let .int64(v): total += Double(v); present += 1
                case let .double(v): total += v; present += 1
                default: break
                }
            }
            fields["sum_\(name)"] = .double(total)
            fields["present_\(name)"] = .int(Int64(present))
        }
        Console.shared.out(String(decoding: JSONText.compact(.map(fields)), as: UTF8.self))
    }

    struct Parquet: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read a Parquet file into a table and report the time and peak memory.")

        @Argument(help: "The .parquet file.") var file: String
        @Option(help: ArgumentHelp("Also report the sum and count of these numeric columns.", valueName: "name")) var sum: [String] = []

        func run() throws {
            try BenchCommand.timedRead(file, sums: sum) { try ParquetReader.read(contentsOf: $0, displayPath: file).0 }
        }
    }

    struct Stata: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dta", abstract: "Read a Stata .dta file into a table and report the time and peak memory.")

        @Argument(help: "The .dta file.") var file: String
        @Option(help: ArgumentHelp("Also report the sum and count of these numeric columns.", valueName: "name")) var sum: [String] = []

        func run() throws {
            try BenchCommand.timedRead(file, sums: sum) { try DTAReader.read(contentsOf: $0, displayPath: file).0 }
        }
    }

    /// `paperflow bench table FILE`: read a binary table file in a fresh process, as the CSV is.
    struct TableFile: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "table",
                                                        abstract: "Read a binary table file and report the time and peak memory.")

        @Argument(help: "The table file (written by `bench csv --binary`).") var file: String
        @Option(help: ArgumentHelp("Afterwards, check the table equals this CSV file read as `bench csv` reads it.", valueName: "csv"))
        var equals: String?

        func run() throws {
            var table = try Table([])
            let seconds = try BenchCommand.seconds { table = try BinaryTableFormat.read(contentsOf: URL(fileURLWithPath: file)) }
            var fields: [String: ParamValue] = ["rows": .int(Int64(table.rowCount)), "binary_read_s": .double(seconds),
                                                "peak_memory_bytes": .int(Int64(BenchCommand.peakMemory))]
            if let equals {
                fields["equal"] = .bool(try CSVReader.read(contentsOf: URL(fileURLWithPath: equals), displayPath: equals).0 == table)
            }
            Console.shared.out(String(decoding: JSONText.compact(.map(fields)), as: UTF8.self))
        }
    }

    /// `paperflow bench hash FILE`: SHA-256 of a file as the store computes it.
    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hash a file as the store does and report the speed.")

        @Argument(help: "The file.") var file: String

        func run() throws {
            var result: (digest: Digest, size: Int64)?
            let seconds = try BenchCommand.seconds { result = try ContentHasher.digest(ofFileAt: file) }
            let fields: [String: ParamValue] = ["digest": .string(result!.digest.description), "bytes": .int(result!.size),
                                                "seconds": .double(seconds), "GBps": .double(Double(result!.size) / seconds / 1e9)]
            Console.shared.out(String(decoding: JSONText.compact(.map(fields)), as: UTF8.self))
        }
    }
}
