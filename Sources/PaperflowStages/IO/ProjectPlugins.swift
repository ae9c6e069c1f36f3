import Foundation
import PaperflowCore
import PaperflowData

/// The plugins a project's workflows may use: the built-in stages and the external plugins in
/// its `Plugins/` folder (each `Plugins/NAME/plugin.yaml`).
public enum ProjectPlugins {
    /// The registry for the project at `root`.
    /// - Throws: `DiagnosticsError` when a manifest is malformed or reuses a built-in's id.
    public static func registry(projectRoot root: URL) throws -> StageRegistry {
        let builtins = BuiltinStages.registry
        let external = try ExternalPlugin.discover(in: root.appendingPathComponent("Plugins", isDirectory: true))
        let clashes = external.filter { builtins.descriptor(for: $0.manifest.id) != nil }.map {
            Diagnostic(at: $0.manifest.idLocation, "plugin id '\($0.manifest.id)' is the id of a built-in stage",
                       hint: "choose another id, e.g. '\($0.manifest.id.replacingOccurrences(of: ".", with: "-")).external'")
        }
        if !clashes.isEmpty { throw DiagnosticsError(clashes) }
        let environments = root.appendingPathComponent("Artifacts", isDirectory: true).appendingPathComponent("plugins", isDirectory: true)
        return builtins.adding(external.map { $0.descriptor(environmentRoot: environments, conversion: CSVTableConversion()) })
    }
}

/// Tables for plugins that read or write CSV: the text `io.table-csv` writes and `io.csv` reads
/// (types inferred, codes with leading zeros kept as text).
public struct CSVTableConversion: TableConversion {
    public init() {}

    public func writeCSV(ofTableAt table: URL, to csv: URL) throws {
        let bytes = CSVWriter.write(try BinaryTableFormat.read(contentsOf: table), delimiter: UInt8(ascii: ","))
        try FileSystem.writeAtomically(Data(bytes), to: csv)
    }

    public func writeTable(fromCSVAt csv: URL, to table: URL) throws {
        let (parsed, _) = try CSVReader.read(contentsOf: csv, displayPath: csv.lastPathComponent, options: CSVOptions())
        try BinaryTableFormat.write(parsed, to: table)
    }
}
