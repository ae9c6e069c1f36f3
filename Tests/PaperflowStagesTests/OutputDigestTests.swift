import Foundation
import PaperflowCore
import PaperflowStages
import PaperflowTestSupport
import Testing

/// DESIGN.md: "A test keeps the output hashes of every built-in stage on fixed fixtures
/// (append-only), and CI fails when a stage's key is unchanged but an output digest changed."
///
/// Every built-in stage runs on small fixtures. `digests.jsonl` holds one line per (stage key,
/// output): appended, never rewritten. An output whose key is already recorded must have the
/// recorded digest — recording again cannot hide a change whose key stayed the same (a change
/// the build fingerprint did not see). A new key (any edit to code the stage runs) passes when
/// its output equals the stage's latest recorded one; a new key with new bytes is an output
/// change to review, then record with `PAPERFLOW_UPDATE_GOLDENS=1`, which appends.
@Suite("Built-in stage outputs")
struct OutputDigestTests {
    struct Entry: Codable, Equatable {
        var output: String
        var key: String
        var digest: String
    }

    @Test("every built-in stage is exercised, and no output changed under an unchanged key")
    func digests() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/note.txt", "paperflow keeps every output by its hash\n")
        for fixture in ["models/m2_panel.csv", "models/glm_trade.csv", "mixtures/three_clusters.csv", "survey/zhou2010_table2.csv", "survey/zhou2010_published.csv",
                        "networks/branches.csv", "networks/places.csv", "complexity/tiny_edge_long.csv",
                        "complexity/tiny_main_long.csv", "complexity/tiny_gdp.csv", "trade/customs_sample.csv",
                        "geography/provinces.csv", "geography/cities.csv", "geography/jiangsu.csv", "geography/jiangsu_districts.csv",
                        "geography/tiny.geojson", "geography/tiny_regions.csv", "stata/pandas_118.dta", "excel/shared.xlsx", "parquet/polars.parquet"] {
            try project.copy(fixture: fixture, to: "data/" + fixture.split(separator: "/").last!)
        }
        try project.copy(fixture: "stage-outputs/every-stage.yaml", to: "Workflows/every-stage.yaml")
        let run = try project.run("Workflows/every-stage.yaml", registry: BuiltinStages.registry)
        let failures = run.record.stages.compactMap { stage in stage.message.map { "\(stage.stage): \($0)" } }
        #expect(run.summary.succeeded, "\(failures)")
        var produced: [Entry] = []
        for stage in run.record.stages {
            guard let ingredients = stage.ingredients, let key = stage.key else { continue }
            for (port, output) in (stage.outputs ?? [:]).sorted(by: { $0.key < $1.key }) {
                produced.append(Entry(output: "\(ingredients.plugin)@\(ingredients.version) \(stage.stage).\(port)", key: key.description,
                                      digest: output.digest.description))
            }
        }
        let exercised = Set(run.record.stages.compactMap(\.ingredients).map(\.plugin))
        let registered = Set(BuiltinStages.all.map(\.id))
        #expect(registered.subtracting(exercised).isEmpty, "not exercised: \(registered.subtracting(exercised).sorted())")

        let url = Fixtures.url("stage-outputs/digests.jsonl")
        let recorded = try Self.read(url)
        let problems = Self.check(produced, against: recorded)
        if ProcessInfo.processInfo.environment["PAPERFLOW_UPDATE_GOLDENS"] == "1" {
            let known = Set(recorded.map { "\($0.key) \($0.output)" })
            let new = produced.filter { !known.contains("\($0.key) \($0.output)") }
            let handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            for entry in new { try handle.write(contentsOf: Self.line(entry)) }
            try handle.close()
            for problem in problems where problem.staleKey { Issue.record(Comment(rawValue: problem.message)) }
        } else {
            for problem in problems { Issue.record(Comment(rawValue: problem.message)) }
        }
    }

    /// The recorded entries, in the order they were appended.
    static func read(_ url: URL) throws -> [Entry] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(Entry.self, from: Data($0.utf8))
        }
    }

    static func line(_ entry: Entry) -> Data {
        Data(JSONText.compact(.map(["output": .string(entry.output), "key": .string(entry.key), "digest": .string(entry.digest)])) + [0x0a])
    }

    struct Problem {
        var message: String
        /// Same key, other bytes: nothing may record this away.
        var staleKey: Bool
    }

    /// What differs between the outputs of this build and the record.
    static func check(_ produced: [Entry], against recorded: [Entry]) -> [Problem] {
        var byKey: [String: String] = [:], latest: [String: String] = [:]
        for entry in recorded {
            byKey["\(entry.key) \(entry.output)"] = entry.digest
            latest[entry.output] = entry.digest
        }
        var problems: [Problem] = []
        for entry in produced {
            if let digest = byKey["\(entry.key) \(entry.output)"] {
                if digest != entry.digest {
                    problems.append(Problem(message: "\(entry.output): the output changed (\(digest) → \(entry.digest)) under the same key "
                                            + "\(entry.key): the build fingerprint missed a change that alters this stage's output", staleKey: true))
                }
            } else if latest[entry.output] != entry.digest {
                problems.append(Problem(message: "\(entry.output): new key and new output \(entry.digest) (was \(latest[entry.output] ?? "none")); "
                                        + "review the change, then append it with PAPERFLOW_UPDATE_GOLDENS=1", staleKey: false))
            }
        }
        return problems
    }

    @Test("recording again cannot hide an output that changed under an unchanged key")
    func staleKeysAreNeverRecordedAway() {
        let recorded = [Entry(output: "io.csv@2 panel.table", key: "sha256:k1", digest: "sha256:d1")]
        let stale = Self.check([Entry(output: "io.csv@2 panel.table", key: "sha256:k1", digest: "sha256:d2")], against: recorded)
        #expect(stale.count == 1 && stale[0].staleKey)
        let refactor = Self.check([Entry(output: "io.csv@2 panel.table", key: "sha256:k2", digest: "sha256:d1")], against: recorded)
        #expect(refactor.isEmpty)
        let change = Self.check([Entry(output: "io.csv@2 panel.table", key: "sha256:k2", digest: "sha256:d3")], against: recorded)
        #expect(change.count == 1 && !change[0].staleKey)
    }
}
