import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// The shipped paper workflows, run in a scratch copy of the project at the small scale: each
/// must recover the structure its generator planted, and its final tables must equal the
/// committed goldens (Tests/Fixtures/papers/; regenerate with PAPERFLOW_UPDATE_GOLDENS=1).
@Suite("Paper workflows", .serialized)
struct PaperWorkflowTests {
    static var repository: URL { Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent() }

    /// A scratch project with the workflow and the shipped data it reads, run at `overrides`.
    func run(_ workflow: String, _ overrides: [String]) throws -> TemporaryProject {
        let project = try TemporaryProject()
        let manager = FileManager.default
        try manager.createDirectory(at: project.root.appendingPathComponent("Workflows/data"), withIntermediateDirectories: true)
        for folder in ["geography", "geo", "china", "world", "zhou-2010"] {
            try manager.copyItem(at: Self.repository.appendingPathComponent("Workflows/data/\(folder)"),
                                 to: project.root.appendingPathComponent("Workflows/data/\(folder)"))
        }
        let file = project.root.appendingPathComponent("Workflows/\(workflow).yaml")
        try manager.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try manager.copyItem(at: Self.repository.appendingPathComponent("Workflows/\(workflow).yaml"), to: file)
        let (summary, _, _) = try project.run("Workflows/\(workflow).yaml", registry: BuiltinStages.registry, overrides: overrides)
        #expect(summary.failed.isEmpty, "failed stages: \(summary.failed)")
        return project
    }

    func json(_ project: TemporaryProject, _ path: String) throws -> ParamValue {
        try JSONDecoder().decode(ParamValue.self, from: Data(contentsOf: project.root.appendingPathComponent("Artifacts/\(path)")))
    }

    func table(_ project: TemporaryProject, _ path: String) throws -> Table {
        try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/\(path)"))
    }

    /// Compares a final table with its golden file under Tests/Fixtures/papers, byte for byte.
    func expectGolden(_ project: TemporaryProject, _ path: String, _ golden: String) throws {
        try Goldens.check(try project.read("Artifacts/\(path)"), golden, folder: "papers")
    }

    /// Each planted coefficient of `fit` (a model (4) fit) within two standard errors.
    func expectRecovered(_ fit: ParamValue, _ planted: [String: Double], _ label: String) {
        let names = ["density_firm": "density_firm", "density_city": "density_city", "interaction": "density_firm:density_city",
                     "tradevalue": "tradevalue", "newexport": "newexport"]
        let rows = ModelStageTests.coefficients(fit)
        for (plantedName, term) in names {
            guard let row = rows[term], let estimate = row["estimate"]?.doubleValue, let se = row["se"]?.doubleValue, let truth = planted[plantedName] else {
                Issue.record("\(label): no \(term)"); continue
            }
            #expect(abs(estimate - truth) <= 2 * se, "\(label) \(term): \(estimate) (SE \(se)) vs planted \(truth)")
        }
    }

    @Test("liu-zhu-2021 recovers the planted probit in models (4), (5) and (6) and Table 2's five subsamples; (1)–(3) have its signs; the filter reports what it removed")
    func liuZhu() throws {
        let project = try run("liu-zhu-2021", ["params.scale=small"])
        defer { project.cleanUp() }
        let truth = try json(project, "liu-zhu-2021/customs/truth.json")
        let planted = (truth.mapValue?["coefficients"]?.mapValue ?? [:]).compactMapValues(\.doubleValue)
        #expect(planted["density_firm"] == 5.081)
        expectRecovered(try json(project, "liu-zhu-2021/model[4]/fit.json"), planted, "model (4)")
        for (index, member) in ["region4=East", "region4=West", "market=high", "market=middle", "market=low"].enumerated() {
            expectRecovered(try json(project, "liu-zhu-2021/subsample[\(member)]/fit.json"), planted, "Table 2 column \(index + 1)")
        }
        // Model (5) standardises every variable, the interaction being z_firm·z_city: its slopes
        // are the planted ones re-expressed (x = m + s·z), and (6)'s average marginal effects per
        // SD are the planted model's, mean φ(index)·∂index/∂x over the sample, times the SD.
        let sample = try table(project, "liu-zhu-2021/panel/table.pftable")
        func values(_ name: String) throws -> [Double] { try #require(sample[name]?.numericValues()) }
        func moments(_ column: [Double]) -> (mean: Double, sd: Double) {
            let mean = column.reduce(0, +) / Double(column.count)
            return (mean, (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(column.count - 1)).squareRoot())
        }
        let firm = try values("density_firm"), city = try values("density_city"), trade = try values("tradevalue"), new = try values("newexport")
        let (f, c, t, e) = (moments(firm), moments(city), moments(trade), moments(new))
        let b = planted
        expectRecovered(try json(project, "liu-zhu-2021/standardized/fit.json"), [
            "density_firm": f.sd * (b["density_firm"]! + b["interaction"]! * c.mean), "density_city": c.sd * (b["density_city"]! + b["interaction"]! * f.mean),
            "interaction": b["interaction"]! * f.sd * c.sd, "tradevalue": b["tradevalue"]! * t.sd, "newexport": b["newexport"]! * e.sd,
        ], "model (5)")
        let chapters = (truth.mapValue?["chapter_effects"]?.mapValue ?? [:]).compactMapValues(\.doubleValue)
        let hs2 = try sample.column("hs2")
        var ame = ["density_firm": 0.0, "density_city": 0.0, "tradevalue": 0.0, "newexport": 0.0]
        for row in 0..<sample.rowCount {
            let index = b["intercept"]! + b["density_firm"]! * firm[row] + b["density_city"]! * city[row] + b["interaction"]! * firm[row] * city[row]
                + b["tradevalue"]! * trade[row] + b["newexport"]! * new[row] + (chapters[hs2[row].description] ?? 0)
            let density = exp(-index * index / 2) / (2 * Double.pi).squareRoot()
            ame["density_firm"]! += density * (b["density_firm"]! + b["interaction"]! * city[row]) * f.sd
            ame["density_city"]! += density * (b["density_city"]! + b["interaction"]! * firm[row]) * c.sd
            ame["tradevalue"]! += density * b["tradevalue"]! * t.sd
            ame["newexport"]! += density * b["newexport"]! * e.sd
        }
        let effects = ModelStageTests.coefficients(try json(project, "liu-zhu-2021/standardized/fit.json"), "margins")
        #expect(effects.count == 4)
        for (name, effect) in effects {
            let estimate = effect["estimate"]?.doubleValue ?? .nan, se = effect["se"]?.doubleValue ?? .nan
            let truth = (ame[name] ?? .nan) / Double(sample.rowCount)
            #expect(abs(estimate - truth) <= 2 * se, "model (6) \(name): \(estimate) (SE \(se)) vs the planted model's \(truth)")
        }
        // Models (1)–(3) omit planted terms: only their signs are the paper's.
        for (model, term, positive) in [(1, "density_firm", true), (2, "density_city", true), (3, "density_firm", true), (1, "tradevalue", false)] {
            let rows = ModelStageTests.coefficients(try json(project, "liu-zhu-2021/model[\(model)]/fit.json"))
            let estimate = rows[term]?["estimate"]?.doubleValue ?? .nan
            #expect(positive ? estimate > 0 : estimate < 0, "model (\(model)) \(term) = \(estimate)")
        }
        // The robustness table: model (4) as a logit with the firm effects absorbed by the GLM
        // engine keeps every planted sign, significant; the firms it drops are counted in its note.
        let withinFirm = try #require(try json(project, "liu-zhu-2021/within_firm/fit.json").mapValue)
        #expect(withinFirm["engine"] == .string("irls, fixed effects absorbed"))
        let withinRows = ModelStageTests.coefficients(.map(withinFirm))
        for (term, positive) in [("density_firm", true), ("density_city", true), ("density_firm:density_city", false), ("newexport", true)] {
            let row = try #require(withinRows[term])
            let estimate = row["estimate"]?.doubleValue ?? .nan
            #expect((positive ? estimate > 0 : estimate < 0) && (row["p"]?.doubleValue ?? 1) < 0.01, "firm-FE logit \(term) = \(estimate)")
        }
        let dropped = withinFirm["observations_separated"]?.intValue ?? 0
        let robustness = try String(contentsOf: project.root.appendingPathComponent("Artifacts/liu-zhu-2021/table_robustness/table.md"), encoding: .utf8)
        #expect(dropped == 0 || robustness.contains("(4) logit, firm FE: \(dropped) observations in "), "\(robustness)")
        // Intermediaries and processing trade are removed and reported.
        let report = try String(contentsOf: project.root.appendingPathComponent("Artifacts/liu-zhu-2021/filtered/filter.json"), encoding: .utf8)
        let rules = try JSONDecoder().decode(ParamValue.self, from: Data(report.utf8))
        func removed(_ rule: String) -> Int64 {
            func find(_ value: ParamValue) -> Int64? {
                switch value {
                case let .map(map):
                    if map["rule"]?.stringValue == rule { return map["records"]?.intValue }
                    return map.values.lazy.compactMap(find).first
                case let .list(items): return items.lazy.compactMap(find).first
                default: return nil
                }
            }
            return find(rules) ?? 0
        }
        #expect(removed("names") > 1000, "filter report: \(report)")
        #expect(removed("mode") > 100, "filter report: \(report)")
        let records = try table(project, "liu-zhu-2021/filtered/filtered.pftable")
        let names = try records.column("name"), modes = try records.column("mode")
        for row in 0..<records.rowCount {
            if case let .string(name) = names[row], ["进出口", "贸易", "物流", "商贸"].contains(where: name.contains) {
                Issue.record("intermediary kept: \(name)"); break
            }
            if modes[row] != .string("ordinary") { Issue.record("processing record kept at row \(row + 1)"); break }
        }
        // Every cell of the estimation sample has density_firm ≥ 0.05.
        let panel = try table(project, "liu-zhu-2021/panel/table.pftable")
        let density = try panel.column("density_firm")
        #expect(panel.rowCount > 50_000)
        #expect((0..<panel.rowCount).allSatisfy { if case let .double(d) = density[$0] { d >= 0.05 } else { false } })
        try expectGolden(project, "liu-zhu-2021/table1/table.md", "liu-zhu-2021-table1.md")
        try expectGolden(project, "liu-zhu-2021/table2/table.md", "liu-zhu-2021-table2.md")
        try expectGolden(project, "liu-zhu-2021/table_robustness/table.md", "liu-zhu-2021-robustness.md")
    }

    @Test("shen-2025: Nanjing and Suzhou are the patent network's core; Nanjing dominates the branch network's coreness")
    func shen() throws {
        let project = try run("shen-2025", ["params.scale=small"])
        defer { project.cleanUp() }
        let patent = try json(project, "shen-2025/patent_core/core.json").mapValue?["core"]?.listValue?.compactMap(\.stringValue)
        #expect(patent == ["Nanjing", "Suzhou"])
        let branch = try table(project, "shen-2025/branch_core/core.pftable")
        let nodes = try branch.column("node"), coreness = try branch.column("coreness")
        let ranked = (0..<branch.rowCount).compactMap { row -> (String, Double)? in
            guard case let .string(node) = nodes[row], case let .double(value) = coreness[row] else { return nil }
            return (node, value)
        }.sorted { $0.1 > $1.1 }
        #expect(ranked.first?.0 == "Nanjing")
        #expect(ranked.count == 13 && ranked[0].1 > 1.5 * ranked[1].1, "coreness: \(ranked.prefix(3))")
        try expectGolden(project, "shen-2025/branch_ranking/table.md", "shen-2025-branch-ranking.md")
        try expectGolden(project, "shen-2025/patent_ranking/table.md", "shen-2025-patent-ranking.md")
    }

    @Test("li-he-li-2018 (default scale): Average Relatedness rises in the inland regions from below the East's to its level")
    func liHeLi() throws {
        let project = try run("li-he-li-2018", [])
        defer { project.cleanUp() }
        let years = try table(project, "li-he-li-2018/region_years/table.pftable")
        let year = try years.column("year"), region = try years.column("region4"), ar = try years.column("average_relatedness")
        var mean: [String: Double] = [:]
        for row in 0..<years.rowCount {
            guard case let .int64(y) = year[row], case let .string(r) = region[row], case let .double(v) = ar[row] else { continue }
            mean["\(r) \(y)"] = v
        }
        let east2000 = try #require(mean["East 2000"]), east2011 = try #require(mean["East 2011"])
        // Coastal coherence is constant: the East's AR moves by less than 0.01.
        #expect(abs(east2011 - east2000) < 0.01, "East: \(east2000) → \(east2011)")
        for inland in ["Central", "West", "Northeast"] {
            let first = try #require(mean["\(inland) 2000"]), last = try #require(mean["\(inland) 2011"])
            // Inland coherence rises from 0.05 to 0.9: AR starts at least 0.03 below the East's and rises by more than 0.04.
            #expect(east2000 - first > 0.03, "\(inland) 2000: \(first) vs East \(east2000)")
            #expect(last - first > 0.04, "\(inland): \(first) → \(last)")
        }
        let truth = try json(project, "li-he-li-2018/customs/truth.json").mapValue ?? [:]
        #expect(truth["coherence_inland"]?.listValue?.compactMap(\.doubleValue) == [0.05, 0.9])
        for name in ["results", "region_table", "ranking[1]", "ranking[2]"] {
            try expectGolden(project, "li-he-li-2018/\(name)/table.md", "li-he-li-2018-\(name).md")
        }
    }

    @Test("examples/world-trade: li-he-li's indicator stages on the real world data give ecomplexity's ECI and economiccomplexity's ECI and PRODY to 1e-9")
    func worldTrade() throws {
        let project = try run("examples/world-trade", [])
        defer { project.cleanUp() }
        func values(_ path: String, _ key: String, _ value: String) throws -> [String: Double] {
            let table = try table(project, "world-trade/\(path)"), numbers = try #require(table[value]?.numericValues())
            var result: [String: Double] = [:]
            for row in 0..<table.rowCount where !numbers[row].isNaN { result[table[key]![row].description] = numbers[row] }
            return result
        }
        var ecomplexity: [String: Double] = [:]
        for line in try Fixtures.text("complexity/world_trade_ecomplexity_eci_by_country.csv").split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",")
            ecomplexity[String(fields[0])] = Double(fields[2])
        }
        let checks: [(String, [String: Double], [String: Double])] = [
            ("ECI (ecomplexity)", try values("complexity/eci.pftable", "country", "eci"), ecomplexity),
            ("ECI (economiccomplexity)", try values("complexity_r/eci.pftable", "country", "eci"), try RelatednessStageTests.named("economiccomplexity/world_eigenvalues_country.csv")),
            ("PRODY", try values("sophistication/prody.pftable", "product", "prody"), try RelatednessStageTests.named("world_prody.csv")),
        ]
        for (label, ours, reference) in checks {
            #expect(ours.count == reference.count, "\(label): \(ours.count) values, the reference has \(reference.count)")
            let worst = reference.map { key, want in abs((ours[key] ?? .nan) - want) / max(abs(want), 1e-12) }.max() ?? .nan
            #expect(worst <= 1e-9, "\(label): worst relative difference \(worst)")
        }
        try expectGolden(project, "world-trade/ranking/table.md", "world-trade-ranking.md")
    }

    @Test("zhou-2010: every printed number of Tables 1–6 reproduced where the tables agree; exactly the 23 contradictions listed; Table 2's z from the counts")
    func zhou() throws {
        let project = try run("zhou-2010", [])
        defer { project.cleanUp() }
        let summary = try json(project, "zhou-2010/consistency/summary.json").mapValue ?? [:]
        let counts = (summary["tables"]?.mapValue ?? [:]).mapValues { ($0.mapValue ?? [:]).compactMapValues(\.intValue) }
        // 243 printed numbers: 220 agree.
        #expect(counts["Table 1"] == ["agrees": 36])
        #expect(counts["Table 2 z"] == ["agrees": 9])
        #expect(counts["Table 3"] == ["agrees": 54])
        #expect(counts["Table 2"] == ["agrees": 6, "disagrees": 3])
        #expect(counts["Table 4"] == ["agrees": 27, "disagrees": 6])
        #expect(counts["Table 5"] == ["agrees": 38, "disagrees": 10])
        #expect(counts["Table 6"] == ["agrees": 50, "disagrees": 4])
        let listed = Set((summary["disagreements"]?.listValue ?? []).compactMap(\.mapValue).map { entry in
            ["table", "row", "column", "cell"].map { entry[$0]?.stringValue ?? "" }.joined(separator: " | ")
        })
        // The paper page's contradictions: Table 2's hardware ownership for Suzhou, Shenzhen and Dongguan;
        // Table 5's foreign response counts printed a row off; totals and region rows their cells cannot give.
        var expected: Set<String> = [
            "Table 2 | Suzhou | hardware | percent(domestic)", "Table 2 | Shenzhen | hardware | percent(domestic)",
            "Table 2 | Dongguan | hardware | percent(domestic)",
            "Table 4 | Shanghai | hardware | mean(rd_employees)", "Table 4 | Shanghai | hardware | mean(rd_expenditure)",
            "Table 4 | Suzhou | hardware | mean(rd_employees)", "Table 4 | Shenzhen | hardware | mean(rd_employees)",
            "Table 4 | Total | hardware | mean(rd_employees)", "Table 4 | Total | software | mean(rd_expenditure)",
            "Table 5 | Total | foreign | mean(rd_employees)", "Table 5 | Total | domestic | mean(rd_employees)",
            "Table 6 | Suzhou | Total | percent(new_products)", "Table 6 | Shenzhen | Total | mean(new_product_share)",
            "Table 6 | Dongguan | Total | mean(new_product_share)", "Table 6 | Total | Total | percent(new_products)",
        ]
        for region in ["Shanghai", "Suzhou", "Shenzhen", "Dongguan"] {
            for variable in ["rd_employees", "rd_expenditure"] { expected.insert("Table 5 | \(region) | foreign | responses(\(variable))") }
        }
        #expect(listed == expected, "unexpected: \(listed.subtracting(expected).sorted()); missing: \(expected.subtracting(listed).sorted())")
        // The rotation the generator found for Table 5's foreign response rows.
        let truth = try json(project, "zhou-2010/survey/truth.json").mapValue ?? [:]
        #expect(truth["table5_foreign_rows"]?.listValue?.compactMap(\.stringValue) == ["Beijing", "Suzhou", "Shenzhen", "Dongguan", "Shanghai"])
        // Table 2 as printed: the hardware z to two decimals, the software z to three (the paper's
        // Beijing 2.252, Suzhou −0.125, Shenzhen 1.855).
        let table2 = try project.read("Artifacts/zhou-2010/table2/table.md")
        #expect(table2.contains("| Beijing | 1516 | 79.13 | 100 | 82.00 | 0.75 | 6224 | 80.96 | 180 | 86.67 | 2.252 |"), "\(table2)")
        #expect(table2.contains("| Suzhou | 1734 | 34.21 | 157 | 30.57 | -0.99 | 297 | 66.33 | 20 | 65.00 | -0.125 |"), "\(table2)")
        #expect(table2.contains("| Shenzhen | 2992 | 57.13 | 151 | 66.89 | 2.55 | 1441 | 71.13 | 70 | 80.00 | 1.855 |"), "\(table2)")
        for name in ["table1", "table2", "table3", "table4", "table5", "table6", "consistency"] {
            try expectGolden(project, "zhou-2010/\(name)/table.md", "zhou-2010-\(name).md")
        }
        // The input switch: the same firms as a user's CSV give the same tables. (Only the
        // survey stage reruns; its output is the CSV's table, so everything after it agrees.)
        let firms = try table(project, "zhou-2010/survey/firms.pftable")
        try project.write("data/survey.csv", String(decoding: CSVWriter.write(firms), as: UTF8.self))
        let (summary2, record, _) = try project.run("Workflows/zhou-2010.yaml", registry: BuiltinStages.registry,
                                                    overrides: ["params.source=data/survey.csv"])
        #expect(summary2.failed.isEmpty, "\(record.stages.compactMap(\.message))")
        #expect(record.stages.contains { $0.stage == "survey" && $0.status == .ran })
        for name in ["table1", "table3", "table4", "table5", "table6", "consistency"] {
            try expectGolden(project, "zhou-2010/\(name)/table.md", "zhou-2010-\(name).md")
        }
        // A file without a needed column is named, with the columns it has.
        try project.write("data/short.csv", "firm,region\nZ1,Beijing\n")
        let (_, failed, _) = try project.run("Workflows/zhou-2010.yaml", registry: BuiltinStages.registry, overrides: ["params.source=data/short.csv"])
        let message = failed.stages.first { $0.stage == "survey" }?.message ?? ""
        #expect(message.hasPrefix("data/short.csv has no columns sector, subsector, ownership"), "\(message)")
    }

    @Test("an-fu-2026: Table 1's four columns from one model stage with a 'with' matrix, the clustered ones with wild-bootstrap p-values and sets; its FE columns and Table 2's three regions recover the planted CO effect")
    func anFu() throws {
        let project = try run("an-fu-2026", [])
        defer { project.cleanUp() }
        let table1 = try project.read("Artifacts/an-fu-2026/table1/table.md")
        // The labels as the workflow writes them (a " FE" was appended to them before).
        #expect(table1.contains("| regional effect | YES | NO | YES | YES |"), "\(table1)")
        #expect(table1.contains("| time effect | YES | NO | NO | YES |"))
        #expect(table1.contains("| Estimator | OLS | OLS | OLS | OLS |"), "\(table1)")
        #expect(table1.contains("| Observations | 420 | 420 | 420 | 420 |"))
        let table2 = try project.read("Artifacts/an-fu-2026/table2/table.md")
        #expect(table2.contains("|  | East | Middle | West |"))
        #expect(table2.contains("| Observations | 168 | 126 | 126 |"))
        let truth = try json(project, "an-fu-2026/panel_data/truth.json").mapValue ?? [:]
        #expect(truth["rd_from_yearbook"]?.intValue == 390)
        #expect((truth["max_abs_log_expy_error"]?.doubleValue ?? 1) < 0.02, "the baskets reach every planted ln EXPY")
        let planted = try #require(truth["coefficients"]?.mapValue?["co"]?.doubleValue)
        func co(_ fit: ParamValue) -> (Double, Double)? {
            let row = ModelStageTests.coefficients(fit)["co"]
            guard let estimate = row?["estimate"]?.doubleValue, let se = row?["se"]?.doubleValue else { return nil }
            return (estimate, se)
        }
        // Table 1's fixed-effects columns within 2 SE of the planted 0.3; (2) pools provinces whose
        // effects are built against their mean predictor, so it is not expected to.
        for column in [1, 3, 4] {
            let (estimate, se) = try #require(co(try json(project, "an-fu-2026/model[\(column)]/fit.json")))
            #expect(abs(estimate - planted) <= 2 * se, "Table 1 (\(column)): \(estimate) (SE \(se)) vs planted \(planted)")
        }
        // The clustered columns' wild cluster bootstrap of co (30 provinces, Webb, 9,999 draws):
        // it rejects co = 0, and its 95% set holds the planted 0.3.
        for column in [1, 3] {
            let bootstrap = try json(project, "an-fu-2026/model[\(column)]/fit.json").mapValue?["bootstrap"]?.mapValue ?? [:]
            #expect(bootstrap["clusters"] == .int(30) && bootstrap["draws"] == .int(9999) && bootstrap["weights"] == .string("webb"))
            #expect(bootstrap["p_value"]?.doubleValue == 0)
            let bounds = bootstrap["confidence_interval"]?.listValue?.compactMap(\.doubleValue) ?? []
            #expect(bounds.count == 2 && bounds[0] < planted && planted < bounds[1], "Table 1 (\(column)) bootstrap set \(bounds) vs planted \(planted)")
        }
        #expect(table1.contains("| Wild bootstrap p: colocation | < 0.001 |  | < 0.001 |  |"), "\(table1)")
        // Table 2's three regions (126–168 province-years each) within 2.5 SE: six estimates at
        // 2 SE would fail by chance at about one seed in four (README).
        let groups = try json(project, "an-fu-2026/regions/fit.json").mapValue?["groups"]?.listValue ?? []
        #expect(groups.count == 3)
        for group in groups {
            let (estimate, se) = try #require(co(group))
            #expect(abs(estimate - planted) <= 2.5 * se, "Table 2: \(estimate) (SE \(se)) vs planted \(planted)")
        }
        try expectGolden(project, "an-fu-2026/table1/table.md", "an-fu-2026-table1.md")
        try expectGolden(project, "an-fu-2026/table2/table.md", "an-fu-2026-table2.md")
    }
}
