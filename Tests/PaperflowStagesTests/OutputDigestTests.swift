import Foundation
import PaperflowCore
import PaperflowStages
import PaperflowTestSupport
import Testing

/// DESIGN.md: "A built-in stage's version must be bumped when its output changes." Every built-in
/// stage runs on small fixtures; each output's digest is kept under plugin@version in
/// Tests/Fixtures/stage-outputs/digests.json. A changed output under an unchanged version fails;
/// after bumping the version, `PAPERFLOW_UPDATE_GOLDENS=1` records the new digests.
@Suite("Built-in stage outputs")
struct OutputDigestTests {
    @Test("every built-in stage is exercised, and no output changed without a version bump")
    func digests() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/note.txt", "paperflow keeps every output by its hash\n")
        for fixture in ["models/m2_panel.csv", "mixtures/three_clusters.csv", "survey/zhou2010_table2.csv", "survey/zhou2010_published.csv",
                        "networks/branches.csv", "networks/places.csv", "complexity/tiny_edge_long.csv",
                        "complexity/tiny_main_long.csv", "complexity/tiny_gdp.csv", "trade/customs_sample.csv",
                        "geography/provinces.csv", "geography/cities.csv", "geography/jiangsu.csv", "geography/jiangsu_districts.csv"] {
            try project.copy(fixture: fixture, to: "data/" + fixture.split(separator: "/").last!)
        }
        try project.copy(fixture: "stage-outputs/every-stage.yaml", to: "Workflows/every-stage.yaml")
        let run = try project.run("Workflows/every-stage.yaml", registry: BuiltinStages.registry)
        let failures = run.record.stages.compactMap { stage in stage.message.map { "\(stage.stage): \($0)" } }
        #expect(run.summary.succeeded, "\(failures)")
        var digests: [String: String] = [:]
        for stage in run.record.stages {
            guard let plugin = stage.ingredients.map({ "\($0.plugin)@\($0.version)" }) else { continue }
            for (port, output) in stage.outputs ?? [:] {
                digests["\(plugin) \(stage.stage).\(port)"] = output.digest.description
            }
        }
        let exercised = Set(run.record.stages.compactMap(\.ingredients).map(\.plugin))
        let registered = Set(BuiltinStages.all.map(\.id))
        #expect(registered.subtracting(exercised).isEmpty, "not exercised: \(registered.subtracting(exercised).sorted())")
        let url = Fixtures.url("stage-outputs/digests.json")
        if ProcessInfo.processInfo.environment["PAPERFLOW_UPDATE_GOLDENS"] == "1" {
            try Data(JSONText.pretty(.map(digests.mapValues(ParamValue.string)))).write(to: url)
        }
        let kept = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: url))
        for (name, digest) in digests.sorted(by: { $0.key < $1.key }) {
            guard let expected = kept[name] else {
                Issue.record("\(name) has no recorded digest; run with PAPERFLOW_UPDATE_GOLDENS=1 and commit digests.json")
                continue
            }
            #expect(digest == expected, "\(name) changed under the same version: bump the stage's version, then record the new digest")
        }
    }
}
