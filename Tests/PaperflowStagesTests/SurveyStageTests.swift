import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// `tests.proportion-z` on zhou-2010's Table 2.
@Suite("Survey stages")
struct SurveyStageTests {
    static func run(_ with: String) throws -> (TemporaryProject, Table?, String?) {
        let project = try TemporaryProject()
        try project.copy(fixture: "survey/zhou2010_table2.csv", to: "data/table2.csv")
        try project.write("Workflows/z.yaml", """
            workflow: z
            stages:
              data:
                uses: io.csv@2
                with: {path: data/table2.csv}
              test:
                uses: tests.proportion-z@1
                inputs: {table: data.table}
                with: \(with)
            """)
        let run = try project.run("Workflows/z.yaml", registry: BuiltinStages.registry)
        guard run.summary.succeeded else { return (project, nil, run.record.stages.first { $0.stage == "test" }?.message) }
        return (project, try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/z/test/tests.pftable")), nil)
    }

    struct Reference: Decodable {
        struct Row: Decodable { var z_sample, p_sample, z_hypothesised, p_hypothesised: Double }
        var rows: [Row]
    }

    @Test("the sample-proportion form reproduces every published z of Table 2 to its printed digits, and statsmodels to 1e-12")
    func table2() throws {
        let (project, table, message) = try Self.run("{n: sample_n, successes: sample_domestic, population: database_domestic_pct, percent: true, standard_error: sample}")
        defer { project.cleanUp() }
        let result = try #require(table, "\(message ?? "")")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("survey/proportion_z_statsmodels.json")))
        let z = result["z"]!.numericValues()!, p = result["p_value"]!.numericValues()!
        let published = result["published_z"]!.numericValues()!
        for row in 0..<result.rowCount {
            // Printed to 2 decimals for hardware, 3 for software: within half a unit of the last digit.
            let digits = row < 5 ? 2.0 : 3.0
            #expect(abs(z[row] - published[row]) <= 0.5 * pow(10, -digits) + 1e-12, "row \(row + 1): \(z[row]) vs \(published[row])")
            #expect(abs(z[row] - reference.rows[row].z_sample) <= 1e-12 * abs(reference.rows[row].z_sample))
            #expect(abs(p[row] - reference.rows[row].p_sample) <= 1e-12)
        }
        // The paper's check: Shenzhen hardware (0.6689 − 0.5713) / √(0.6689 × 0.3311 / 151) = 2.55.
        #expect(String(format: "%.2f", z[2]) == "2.55")
    }

    @Test("the hypothesised form (p₀ in the SE) matches statsmodels' prop_var=p0, from shares in percent")
    func hypothesised() throws {
        let (project, table, message) = try Self.run("{n: sample_n, successes: sample_domestic, population: database_domestic_pct, percent: true}")
        defer { project.cleanUp() }
        let result = try #require(table, "\(message ?? "")")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("survey/proportion_z_statsmodels.json")))
        let z = result["z"]!.numericValues()!, p = result["p_value"]!.numericValues()!
        for row in 0..<result.rowCount {
            #expect(abs(z[row] - reference.rows[row].z_hypothesised) <= 1e-12 * abs(reference.rows[row].z_hypothesised))
            #expect(abs(p[row] - reference.rows[row].p_hypothesised) <= 1e-12)
        }
    }

    @Test("bad input names the row and what to change", arguments: [
        ("{n: sample_n, successes: sample_domestic, population: database_domestic_pct}",
         "row 1: the population proportion is 79.13, outside 0…1; set percent: true if the shares are percentages"),
        ("{n: sample_n, population: database_domestic_pct, percent: true}",
         "give exactly one of successes (a count column) and sample (a share column)"),
        ("{n: database_domestic_pct, sample: sample_domestic_pct, population: database_domestic_pct, percent: true}",
         "row 1: n is 79.13; a sample size is a whole number ≥ 1"),
        ("{n: sample_n, sample: region, population: database_domestic_pct, percent: true}",
         "sample names 'region', which is text; it must hold numbers"),
    ])
    func failures(with: String, message: String) throws {
        let (project, table, failure) = try Self.run(with)
        defer { project.cleanUp() }
        #expect(table == nil)
        #expect(failure == message)
    }
}
