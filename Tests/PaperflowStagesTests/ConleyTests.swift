import Foundation
import PaperflowCore
import PaperflowData
@testable import PaperflowStages
import PaperflowStats
import PaperflowTestSupport
import Testing

/// `vcov: {conley: …}` against the direct numpy implementation of Conley's formula in
/// `Tests/Fixtures/models/ref_conley.py`, on points with known coordinates in eastern China.
@Suite("Conley spatial standard errors")
struct ConleyTests {
    struct Reference: Decodable { var terms: [String]; var coef: [Double]; var se: [Double] }

    static let references = try! JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: Fixtures.url("models/conley_reference.json")))

    @Test("cross-section (500 points: uniform 500 km, Bartlett 800 km) and panel (120 units × 6 years with unit and year effects: uniform 300 km within each year, Bartlett 600 km with a unit lag of 2) equal the direct implementation (estimates 1e-10, SEs 1e-8)", arguments: [
        ("cross_uniform_500", "conley_cross.csv", "models.ols@2", "y ~ x1 + x2", "{lat: lat, lon: lon, cutoff: 500}"),
        ("cross_bartlett_800", "conley_cross.csv", "models.ols@2", "y ~ x1 + x2", "{lat: lat, lon: lon, cutoff: 800, kernel: bartlett}"),
        ("panel_uniform_300", "conley_panel.csv", "models.fe@2", "y ~ x1 + x2 | unit + year", "{lat: lat, lon: lon, cutoff: 300, time: year}"),
        ("panel_bartlett_600_lag2", "conley_panel.csv", "models.fe@2", "y ~ x1 + x2 | unit + year", "{lat: lat, lon: lon, cutoff: 600, kernel: bartlett, time: year, unit: unit, lag: 2}"),
    ])
    func againstDirect(name: String, data: String, uses: String, formula: String, settings: String) throws {
        let reference = try #require(Self.references[name])
        let project = try ModelStageTests.project(data: data, model: """
            uses: \(uses)
            with: {formula: "\(formula)", vcov: {conley: \(settings)}}
            """)
        defer { project.cleanUp() }
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        let fit = try ModelStageTests.fit(project)
        try ModelStageTests.expectTerms(fit, reference.terms, estimates: reference.coef, standardErrors: reference.se,
                                        estimateTolerance: 1e-10, seTolerance: 1e-8, name)
        #expect(fit.mapValue?["vcov"]?.stringValue?.hasPrefix("conley: ") == true)
    }

    @Test("a coordinate outside ±90/±180 or missing is refused naming its row; a probit is refused; the haversine distance of Beijing to Shanghai is 1,067 km")
    func refusals() throws {
        #expect(abs(SpatialCovariance.distance(39.9042, 116.4074, 31.2304, 121.4737) - 1067.3) < 0.5)
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("data/points.csv", "lat,lon,x,y\n30,120,1,0\n95,121,2,1\n31,119,3,1\n")
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              data: {uses: io.csv@2, with: {path: data/points.csv}}
              ols: {uses: models.ols@2, inputs: {table: data.table}, with: {formula: "y ~ x", vcov: {conley: {lat: lat, lon: lon, cutoff: 100}}}}
              probit: {uses: models.probit@2, inputs: {table: data.table}, with: {formula: "y ~ x", vcov: {conley: {lat: lat, lon: lon, cutoff: 100}}}}
            """)
        let run = try project.run("Workflows/m.yaml", registry: BuiltinStages.registry, keepGoing: true)
        let messages = Dictionary(uniqueKeysWithValues: run.record.stages.map { ($0.stage, $0.message) })
        #expect(messages["ols"] == "conley's latitude 'lat' is 95.0 in row 2; latitudes are degrees within ±90")
        #expect(messages["probit"] == "vcov: conley: 100 km, uniform is for linear models (ols, lpm, fe)")
    }
}
