import Foundation
import PaperflowCore
import PaperflowData

/// A Harmonized System vintage that Paperflow converts to HS2007.
enum HSVintage: String, CaseIterable, Sendable {
    case hs1996 = "HS1996", hs2002 = "HS2002", hs2007 = "HS2007", hs2012 = "HS2012", hs2017 = "HS2017", hs2022 = "HS2022"

    /// A vintage from "HS2002", "hs2002", "2002" or UN Comtrade's classification code "H2".
    init?(label: String) {
        let text = label.trimmingCharacters(in: .whitespaces).uppercased()
        let comtrade: [String: HSVintage] = ["H1": .hs1996, "H2": .hs2002, "H3": .hs2007, "H4": .hs2012, "H5": .hs2017, "H6": .hs2022]
        if let vintage = comtrade[text] ?? HSVintage(rawValue: text) ?? HSVintage(rawValue: "HS" + text) {
            self = vintage
        } else {
            return nil
        }
    }
}

/// How one source code reaches HS2007, classified from the code pairs themselves (UNSD's own
/// label is written from either side of the pair, so it is not used): a source code with one
/// target maps directly (1:1, or n:1 when other codes map there too); a source code with several
/// targets is split (1:n, or n:n when a target also receives other codes).
enum HSRule: String, CaseIterable, Sendable {
    case identity = "identity", oneToOne = "1:1", manyToOne = "n:1", oneToMany = "1:n", manyToMany = "n:n", unknown = "unknown"

    var splits: Bool { self == .oneToMany || self == .manyToMany }
}

/// The UNSD correlation tables from one vintage to HS2007 (runtime data in `Trade/HS/`).
struct HSConcordance: Sendable {
    struct Mapping: Sendable {
        /// HS2007 6-digit codes, ascending.
        var targets: [String]
        var rule: HSRule
    }

    let vintage: HSVintage
    /// Source 6-digit code → its HS2007 targets.
    let mappings: [String: Mapping]

    /// The table for `vintage` (HS2007 itself maps every 6-digit code of the nomenclature to itself).
    static func table(_ vintage: HSVintage) throws -> HSConcordance {
        guard let table = try loaded.get()[vintage] else { throw StageFailure("no correlation table for \(vintage.rawValue)") }
        return table
    }

    /// Every vintage, read once per process on first use.
    private static let loaded = Result<[HSVintage: HSConcordance], any Error> {
        let folder = try RuntimeData.folder("HS")
        var tables: [HSVintage: HSConcordance] = [:]
        let nomenclature = try read(folder.appendingPathComponent("hs2007_codes.csv"), columns: ["code", "digits"])
        let subheadings = zip(nomenclature[0], nomenclature[1]).filter { $0.1 == "6" }.map(\.0)
        tables[.hs2007] = HSConcordance(vintage: .hs2007, mappings: Dictionary(uniqueKeysWithValues: subheadings.map {
            ($0, Mapping(targets: [$0], rule: .identity))
        }))
        for vintage in HSVintage.allCases where vintage != .hs2007 {
            let name = vintage.rawValue.lowercased()
            let pairs = try read(folder.appendingPathComponent("\(name)_hs2007.csv"), columns: [name, "hs2007"])
            tables[vintage] = HSConcordance(vintage: vintage, pairs: Array(zip(pairs[0], pairs[1])))
        }
        return tables
    }

    /// Classifies each source code by how many targets it has and how many sources share them.
    private init(vintage: HSVintage, pairs: [(source: String, target: String)]) {
        var targets: [String: Set<String>] = [:], sources: [String: Set<String>] = [:]
        for (source, target) in pairs {
            targets[source, default: []].insert(target)
            sources[target, default: []].insert(source)
        }
        self.vintage = vintage
        mappings = targets.mapValues { set in
            let shared = set.contains { sources[$0]!.count > 1 }
            let rule: HSRule = set.count == 1 ? (shared ? .manyToOne : .oneToOne) : (shared ? .manyToMany : .oneToMany)
            return Mapping(targets: set.sorted(), rule: rule)
        }
    }

    private init(vintage: HSVintage, mappings: [String: Mapping]) {
        self.vintage = vintage
        self.mappings = mappings
    }

    /// The named columns of a shipped CSV file, as text.
    private static func read(_ url: URL, columns: [String]) throws -> [[String]] {
        var options = CSVOptions()
        options.schema = Dictionary(uniqueKeysWithValues: columns.map { ($0, DataType.string) })
        let (table, _) = try CSVReader.read(contentsOf: url, displayPath: url.lastPathComponent, options: options)
        return try columns.map { name in
            let column = try table.column(name)
            return (0..<table.rowCount).map { column[$0].description }
        }
    }
}

/// Data files shipped with the stages (SwiftPM resources of PaperflowStages): looked up beside
/// the executable or test bundle, where SwiftPM copies them, and else in the source tree the
/// binary was built from. Never `Bundle.module`, whose accessor stops the process when the
/// bundle is missing; a missing folder here is a stage failure that says what to do.
enum RuntimeData {
    static let bundleName = "Paperflow_PaperflowStages.resources"

    static func folder(_ name: String) throws -> URL {
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let candidates = [Bundle.main.bundleURL.appendingPathComponent(bundleName), Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(bundleName),
                          executable.appendingPathComponent(bundleName)].map { $0.appendingPathComponent(name) } + [source.appendingPathComponent(name)]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw StageFailure("the stage's data folder \(name) is missing (looked in \(candidates.map(\.path).joined(separator: ", "))); "
                               + "keep the \(bundleName) folder beside the paperflow executable")
        }
        return found
    }
}
