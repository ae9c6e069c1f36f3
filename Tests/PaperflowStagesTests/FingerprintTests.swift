import Crypto
import Foundation
import PaperflowCore
import PaperflowFingerprinting
import PaperflowStages
import Testing

/// DESIGN.md, "Cache key": a built-in stage's key carries a fingerprint of the code and data it
/// runs on, made at build time. These tests hold the generator to its promise on the real tree
/// and on copies of it with one byte changed.
@Suite("Built-in stage fingerprints")
struct FingerprintTests {
    static let sourcesRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources", isDirectory: true)
    static let modules = ["PaperflowStages", "PaperflowCore", "PaperflowData", "PaperflowStats"]

    /// The tree's files, read once, to change in memory.
    static func tree() throws -> (sources: [SourceFingerprinter.File], resources: [SourceFingerprinter.File]) {
        var sources: [SourceFingerprinter.File] = [], resources: [SourceFingerprinter.File] = []
        for module in modules {
            let root = sourcesRoot.appendingPathComponent(module)
            for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])! {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                let file = SourceFingerprinter.File(path: module + "/" + url.path.dropFirst(root.path.count + 1),
                                                    bytes: Array(try Data(contentsOf: url)))
                if url.pathExtension == "swift" { sources.append(file) } else { resources.append(file) }
            }
        }
        return (sources, resources)
    }

    /// The same tree with one byte of `path` changed.
    static func fingerprints(changingByteOf path: String? = nil) throws -> SourceFingerprinter {
        var (sources, resources) = try tree()
        for i in sources.indices where sources[i].path == path { sources[i].bytes[sources[i].bytes.count / 2] ^= 0x01 }
        for i in resources.indices where resources[i].path == path { resources[i].bytes[resources[i].bytes.count / 2] ^= 0x01 }
        #expect(path == nil || (sources + resources).contains { $0.path == path }, "no file \(path ?? "")")
        return SourceFingerprinter(sources: sources, resources: resources)
    }

    @Test("the SHA-256 of the build tool agrees with swift-crypto at every padding edge")
    func sha256() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 1000, 4097] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Crypto.SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            #expect(SHA256Hasher.hex(bytes) == expected, "length \(length)")
        }
        #expect(SHA256Hasher.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("every built-in stage carries its own build-time fingerprint, the one the tree gives")
    func builtinsCarryTheTreesFingerprint() throws {
        let fingerprinter = try Self.fingerprints()
        #expect(BuiltinStages.buildFingerprint == fingerprinter.buildFingerprint)
        let byDigest = Dictionary(grouping: fingerprinter.stageTypes.keys, by: { fingerprinter.fingerprint(ofStage: $0)! })
        for descriptor in BuiltinStages.all {
            #expect(descriptor.implementationDigest.hasPrefix("sha256:"), "\(descriptor.id): \(descriptor.implementationDigest)")
            #expect(descriptor.implementationDigest != BuiltinStages.buildFingerprint, "\(descriptor.id) was not found by the generator")
            #expect(byDigest[descriptor.implementationDigest] != nil, "\(descriptor.id)'s fingerprint is not the tree's")
        }
    }

    /// Stage type → fingerprint, for the stages named.
    static func prints(_ fingerprinter: SourceFingerprinter, _ stages: [String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: stages.map { ($0, fingerprinter.fingerprint(ofStage: $0)!) })
    }

    @Test("one changed byte in a file a stage runs changes its fingerprint, and no unrelated family's",
          arguments: [
            ("PaperflowStages/Trade/FilterFirmsStage.swift", ["FilterFirmsStage"], ["RCAStage", "ProbitStage", "CSVStage", "JoinStage"]),
            ("PaperflowStats/Models/BinaryChoice.swift", ["ProbitStage", "LogitStage"], ["RCAStage", "CSVStage", "FilterFirmsStage", "BarFigureStage"]),
            ("PaperflowStages/Relatedness/TradeInput.swift", ["RCAStage", "DensityStage"], ["ProbitStage", "CSVStage", "BarFigureStage"]),
            // One stage per file: a change to rca's file no longer touches density's key.
            ("PaperflowStages/Relatedness/RCAStage.swift", ["RCAStage"], ["DensityStage", "ComplexityStage", "ProbitStage"]),
            ("PaperflowStages/Trade/HS/hs2002_hs2007.csv", ["HarmonizeHSStage"], ["RCAStage", "ProbitStage", "CSVStage"]),
            ("PaperflowStages/Figures/SVGDocument.swift", ["BarFigureStage", "NetworkFigureStage"], ["RCAStage", "ProbitStage", "JoinStage"]),
            ("PaperflowData/CSV/FieldParsing.swift", ["CSVStage"], []),
          ])
    func oneByte(path: String, changes: [String], keeps: [String]) throws {
        let before = try Self.fingerprints()
        let after = try Self.fingerprints(changingByteOf: path)
        let old = Self.prints(before, changes + keeps), new = Self.prints(after, changes + keeps)
        for stage in changes { #expect(old[stage] != new[stage], "\(stage) kept its fingerprint after \(path) changed") }
        for stage in keeps { #expect(old[stage] == new[stage], "\(stage) changed with \(path)") }
        #expect(before.buildFingerprint != after.buildFingerprint)
    }

    @Test("a word in a string declares nothing: \"class and colour\" and a column named \"class\" tie no stage to files that mention 'and' or Column")
    func stringWordsDeclareNothing() {
        let stage = SourceFingerprinter.File(path: "PaperflowStages/MapStage.swift", bytes: Array("""
            struct MapStage: Stage {
                let doc = "key, value, class and colour"
                func run() { let table = [("class", Column(int64: [1]))] }
            }
            """.utf8))
        let column = SourceFingerprinter.File(path: "PaperflowData/Column.swift", bytes: Array("struct Column { let and = 1 }\n".utf8))
        let other = SourceFingerprinter.File(path: "PaperflowStages/OtherStage.swift", bytes: Array("""
            struct OtherStage: Stage { func run() { let x = Column(); print("and") } }
            """.utf8))
        let fingerprinter = SourceFingerprinter(sources: [stage, column, other], resources: [])
        // Files are kept in path order: Column, MapStage, OtherStage.
        #expect(fingerprinter.closure(ofFileAt: 2) == ["PaperflowData/Column.swift", "PaperflowStages/OtherStage.swift"])
        #expect(fingerprinter.closure(ofFileAt: 1) == ["PaperflowData/Column.swift", "PaperflowStages/MapStage.swift"])
    }

    @Test("the key of a stage follows its fingerprint")
    func keyFollowsFingerprint() {
        let a = KeyIngredients(plugin: "io.csv", version: 2, implementation: "sha256:" + String(repeating: "a", count: 64),
                               params: [:], inputs: [:], files: [:])
        var b = a
        b.implementation = "sha256:" + String(repeating: "b", count: 64)
        #expect(a.key != b.key)
        #expect(b.changes(since: a).first?.hasPrefix("plugin implementation changed") == true)
    }
}
