import Foundation
import PaperflowCore
import PaperflowData

/// `synthetic.ict-survey`: zhou-2010's survey of 1,023 ICT firms (633 hardware, 390 software in
/// Beijing, Shanghai, Suzhou, Shenzhen and Dongguan), reconstructed from the published tables
/// since the micro data are not public. Counts come from the tables directly; each group mean
/// (export share, R&D shares, new-product revenue share) is solved inside the rounding interval
/// of its printed value so that the region rows and totals rebuilt from the firms round to the
/// printed ones too — where the published tables allow it. Where they contradict each other no
/// firms can reproduce every number; the solver then settles between them (alternating
/// projections onto the intervals) and `tables.compare` lists what disagrees.
///
/// No `scale` parameter, a departure from the other generators: the sample is the published
/// one, and a larger survey would print other numbers.
public struct SurveyGenerator: Stage {
    public static let id = "synthetic.ict-survey"
    public static let version = 1
    static let subsectors = [("computer", "computer/communication"), ("parts", "electronic parts"), ("semiconductor", "semiconductor")]
    public static let signature = StageSignature(
        summary: "Zhou-2010's ICT survey firms (region, sector, ownership, exports, R&D, new products, productivity) reconstructed to reproduce the published tables.",
        documentation: """
            published: the paper's printed numbers (table, row, column, cell, value as text) in
            the keys of the tables.crosstab stages that rebuild them: Table 1 (sum(computer),
            sum(parts), sum(semiconductor), sum(software) by region), Table 3 (percent(exporter),
            count(exporter), mean(export_share) by region × Total/foreign/domestic), Table 4
            (mean(rd_employees), mean(rd_expenditure) by region × hardware/software), Table 5
            (the same by region × foreign/domestic, with responses(...)), Table 6
            (count(new_products), mean(new_product_share) by region × Total/foreign/domestic).
            representativeness: Table 2 (sector, region, sample_n, sample_domestic): software
            ownership. Hardware ownership is Table 3's exporters ÷ share (Table 6 agrees).
            Table 5's foreign response counts are printed rotated by a row; the rotation that
            maps the R&D-employee responses onto the foreign firm counts is found and applied to
            the expenditure responses too (truth.json records it). Productivity (thousand yuan
            per person) and employees are log-normal by ownership with the text's means and
            medians exactly. source: a CSV of real firms with the output's columns replaces it.
            """,
        inputs: [PortSpec("published", kind: .table, summary: "table, row, column, cell, value (printed text)"),
                 PortSpec("representativeness", kind: .table, summary: "Table 2: sector, region, sample_n, sample_domestic")],
        outputs: [PortSpec("firms", kind: .table, fileName: "firms.pftable",
                           summary: "firm, region, sector, subsector, ownership, exporter, export_share, rd_employees, rd_expenditure, new_products, new_product_share, productivity, employees, year_founded"),
                  PortSpec("truth", kind: .json, fileName: "truth.json", summary: "counts, solved group means, the response rotation, unmet constraints")],
        params: [
            SyntheticScale.seedParameter, SyntheticScale.sourceParameter,
            ParamSpec("productivity_mean", .list(.double), default: .list([.double(729.4), .double(184.8)]),
                      summary: "mean labour productivity, foreign and domestic (thousand yuan per person)"),
            ParamSpec("productivity_median", .list(.double), default: .list([.double(125), .double(100)]), summary: "median labour productivity, foreign and domestic"),
            ParamSpec("employees_mean", .list(.double), default: .list([.double(1116), .double(510)]), summary: "mean hardware firm size, foreign and domestic"),
        ],
        fileParams: ["source"]
    )

    static let columns = ["firm", "region", "sector", "subsector", "ownership", "exporter", "export_share", "rd_employees", "rd_expenditure",
                          "new_products", "new_product_share", "productivity", "employees", "year_founded"]

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        var truth: [String: ParamValue] = [:]
        let firms = try SyntheticSource.table(context, "source", required: Self.columns,
                                              types: ["region": .string, "ownership": .string]) {
            var survey = try Survey(published: try context.table("published"), table2: try context.table("representativeness"),
                                    seed: context.int("seed")!)
            let table = try survey.firms(productivity: try Self.pair(context, "productivity_mean"), median: try Self.pair(context, "productivity_median"),
                                         employees: try Self.pair(context, "employees_mean"))
            truth = survey.truth
            return table
        }
        return ["firms": try context.artifact(firms, fileName: "firms.pftable"), "truth": .bytes(Data(JSONText.pretty(.map(truth))))]
    }

    static func pair(_ context: StageContext, _ name: String) throws -> (foreign: Double, domestic: Double) {
        let values = context.params[name]?.listValue?.compactMap(\.doubleValue) ?? []
        guard values.count == 2, values.allSatisfy({ $0 > 0 }) else { throw StageFailure("\(name) is [foreign, domestic], two positive numbers") }
        return (values[0], values[1])
    }
}

/// The reconstruction: the published numbers, the firms' groups and the solved means.
struct Survey {
    var printed: [String: Printed] = [:]
    var regions: [String] = []
    var draws: Draws
    var truth: [String: ParamValue] = [:]
    static let ownerships = ["foreign", "domestic"]

    init(published: Table, table2: Table, seed: Int64) throws {
        draws = Draws(seed: seed)
        for number in try PublishedNumber.read(published, input: "published") {
            printed[number.key] = number.printed
            if number.table == "Table 1", number.row != "Total", !regions.contains(number.row) { regions.append(number.row) }
        }
        guard !regions.isEmpty else { throw StageFailure("published has no Table 1 rows: the regions and their firm counts come from it") }
        let sectors = try SyntheticSource.texts(table2, "sector", for: "representativeness")
        let places = try SyntheticSource.texts(table2, "region", for: "representativeness")
        let sizes = try table2.numbers("sample_n", for: "representativeness"), domestic = try table2.numbers("sample_domestic", for: "representativeness")
        for index in sectors.indices { table2Counts["\(sectors[index]) \(places[index])"] = (Int(sizes[index]), Int(domestic[index])) }
    }

    var table2Counts: [String: (n: Int, domestic: Int)] = [:]

    func value(_ table: String, _ row: String, _ column: String, _ cell: String) -> Printed? {
        printed[PublishedNumber.key(table, row, column, cell)]
    }

    func count(_ table: String, _ row: String, _ column: String, _ cell: String) throws -> Int {
        guard let number = value(table, row, column, cell) else {
            throw StageFailure("published has no \(table) number for row \(row), column \(column), cell \(cell)")
        }
        return Int(number.value.rounded())
    }

    // MARK: The firms

    /// One firm's attributes as they are drawn.
    struct Firm {
        var region: String, sector: String, subsector: String, ownership: String
        var exporter: Bool?, exportShare: Double?, rdEmployees: Double?, rdExpenditure: Double?
        var newProducts: Bool?, newProductShare: Double?, productivity = 0.0, employees: Int64 = 0, founded: Int64 = 0
    }

    mutating func firms(productivity: (foreign: Double, domestic: Double), median: (foreign: Double, domestic: Double),
                        employees: (foreign: Double, domestic: Double)) throws -> Table {
        var firms: [Firm] = []
        var groups: [String: [Int]] = [:]          // "region ownership sector" → firm indices
        var counts: [String: ParamValue] = [:]
        for region in regions {
            // Hardware: ownership from Table 3's exporters ÷ share; subsectors from Table 1, drawn across owners.
            let hardware = subsectorCounts(region)
            let total = hardware.reduce(0) { $0 + $1.1 }
            var owners: [String] = []
            for ownership in Self.ownerships {
                let exporters = try count("Table 3", region, ownership, "count(exporter)")
                let share = try value("Table 3", region, ownership, "percent(exporter)").map(\.value) ?? .nan
                owners += Array(repeating: ownership, count: share > 0 ? Int((Double(exporters) * 100 / share).rounded()) : 0)
            }
            guard owners.count == total else {
                throw StageFailure("\(region): Table 3's exporters ÷ shares give \(owners.count) hardware firms, Table 1 \(total)")
            }
            let labels = draws.shuffled(hardware.flatMap { Array(repeating: $0.0, count: $0.1) })
            for (index, ownership) in owners.enumerated() {
                groups["\(region) \(ownership) hardware", default: []].append(firms.count)
                firms.append(Firm(region: region, sector: "hardware", subsector: labels[index], ownership: ownership))
            }
            // Software: ownership from Table 2's sample counts.
            let software = try count("Table 1", region, "Total", "sum(software)")
            if software > 0 {
                guard let sample = table2Counts["software \(region)"], sample.n == software else {
                    throw StageFailure("\(region): Table 1 has \(software) software firms; representativeness needs a software row with sample_n \(software)")
                }
                for index in 0..<software {
                    let ownership = index < software - sample.domestic ? "foreign" : "domestic"
                    groups["\(region) \(ownership) software", default: []].append(firms.count)
                    firms.append(Firm(region: region, sector: "software", subsector: "software", ownership: ownership))
                }
            }
            counts[region] = .map(["foreign": .int(Int64(owners.count { $0 == "foreign" })), "domestic": .int(Int64(owners.count { $0 == "domestic" })),
                                   "software": .int(Int64(software))])
        }
        truth["hardware_ownership"] = .map(counts)
        try drawHardware(&firms, groups)
        try drawSoftware(&firms, groups)
        drawScale(&firms, productivity: productivity, median: median, employees: employees)
        return try Self.table(firms)
    }

    /// The region's hardware firms by subsector (Table 1).
    func subsectorCounts(_ region: String) -> [(String, Int)] {
        SurveyGenerator.subsectors.map { key, label in (label, Int(value("Table 1", region, "Total", "sum(\(key))")?.value.rounded() ?? 0)) }
    }

    /// Exports, R&D and new products of hardware firms: counts from the tables, shares solved.
    mutating func drawHardware(_ firms: inout [Firm], _ groups: [String: [Int]]) throws {
        let cells = regions.flatMap { region in Survey.ownerships.map { (region, $0) } }
        let members = cells.map { groups["\($0.0) \($0.1) hardware"] ?? [] }
        // Exporters (Table 3) and firms with new products (Table 6): chosen at random within each cell.
        var exporters: [[Int]] = [], innovators: [[Int]] = []
        for (cell, firmsOfCell) in zip(cells, members) {
            let exporting = Set(draws.shuffled(firmsOfCell).prefix(try count("Table 3", cell.0, cell.1, "count(exporter)")))
            let innovating = Set(draws.shuffled(firmsOfCell).prefix(try count("Table 6", cell.0, cell.1, "count(new_products)")))
            for firm in firmsOfCell { firms[firm].exporter = exporting.contains(firm); firms[firm].newProducts = innovating.contains(firm) }
            exporters.append(firmsOfCell.filter(exporting.contains))
            innovators.append(firmsOfCell.filter(innovating.contains))
        }
        // R&D expenditure responses (Table 5): domestic as printed, foreign through the rotation
        // that puts the printed R&D-employee responses onto the foreign firm counts.
        let foreignCounts = regions.map { groups["\($0) foreign hardware"]?.count ?? 0 }
        let printedEmployees = try regions.map { try count("Table 5", $0, "foreign", "responses(rd_employees)") }
        let rotation = Self.rotation(printedEmployees, onto: foreignCounts)
        truth["table5_foreign_rows"] = .list(rotation.map { .string(regions[$0]) })
        var expenditure: [[Int]] = []
        for (index, cell) in cells.enumerated() {
            let row = cell.1 == "foreign" ? regions[rotation[regions.firstIndex(of: cell.0)!]] : cell.0
            let responses = min(members[index].count, try count("Table 5", row, cell.1, "responses(rd_expenditure)"))
            expenditure.append(Array(draws.shuffled(members[index]).prefix(responses)))
        }
        /// The constraints on one variable's cell means: `table`'s cells by region × ownership,
        /// the region rows and totals of `regionTable` (Table 4; nil: `table`'s own) in
        /// `regionColumn`, and the totals row of each ownership column, all means over `weights`.
        func constraints(_ table: String, _ cell: String, regionTable: String?, regionColumn: String, weights: [[Int]]) -> [Constraint] {
            var result: [Constraint] = []
            for (index, c) in cells.enumerated() {
                if let target = value(table, c.0, c.1, cell) { result.append(Constraint(coefficients: [index: 1], target: target)) }
            }
            let sizes = weights.map { Double($0.count) }
            // A region row over both owners, pooled over respondents (Table 3's Total column, Table 4).
            for region in regions {
                let inRegion = cells.indices.filter { cells[$0].0 == region }
                let total = inRegion.reduce(0.0) { $0 + sizes[$1] }
                if let target = value(regionTable ?? table, region, regionColumn, cell), total > 0 {
                    result.append(Constraint(coefficients: Dictionary(uniqueKeysWithValues: inRegion.map { ($0, sizes[$0] / total) }), target: target))
                }
            }
            // The totals row of each ownership column and of the region column.
            for totalsColumn in Survey.ownerships + [regionColumn] {
                let isRegionColumn = totalsColumn == regionColumn
                let inColumn = cells.indices.filter { isRegionColumn || cells[$0].1 == totalsColumn }
                guard let target = value(isRegionColumn ? (regionTable ?? table) : table, "Total", totalsColumn, cell) else { continue }
                // Weighted by responses, a totals row is the mean over every respondent of its column.
                var coefficients: [Int: Double] = [:]
                let total = inColumn.reduce(0.0) { $0 + sizes[$1] }
                for index in inColumn where total > 0 { coefficients[index] = sizes[index] / total }
                result.append(Constraint(coefficients: coefficients, target: target))
            }
            return result
        }
        var solved: [String: ParamValue] = [:]
        let exportMeans = solve(cells.count, constraints("Table 3", "mean(export_share)", regionTable: nil, regionColumn: "Total", weights: exporters), into: &solved, "export_share")
        let employeeMeans = solve(cells.count, constraints("Table 5", "mean(rd_employees)", regionTable: "Table 4", regionColumn: "hardware", weights: members),
                                  into: &solved, "rd_employees")
        let expenditureMeans = solve(cells.count, constraints("Table 5", "mean(rd_expenditure)", regionTable: "Table 4", regionColumn: "hardware", weights: expenditure),
                                     into: &solved, "rd_expenditure")
        let newShareMeans = solve(cells.count, constraints("Table 6", "mean(new_product_share)", regionTable: nil, regionColumn: "Total", weights: innovators),
                                  into: &solved, "new_product_share")
        for index in cells.indices {
            for (firm, share) in zip(exporters[index], spread(exportMeans[index], count: exporters[index].count, sd: 20)) { firms[firm].exportShare = share }
            for (firm, share) in zip(members[index], spread(employeeMeans[index], count: members[index].count, sd: 8)) { firms[firm].rdEmployees = share }
            for (firm, share) in zip(expenditure[index], spread(expenditureMeans[index], count: expenditure[index].count, sd: 8)) { firms[firm].rdExpenditure = share }
            for (firm, share) in zip(innovators[index], spread(newShareMeans[index], count: innovators[index].count, sd: 15)) { firms[firm].newProductShare = share }
        }
        truth["hardware_means"] = .map(solved.merging(["cells": .list(cells.map { .string("\($0.0) \($0.1)") })]) { a, _ in a })
    }

    /// Software R&D shares by region (Table 4), all firms answering.
    mutating func drawSoftware(_ firms: inout [Firm], _ groups: [String: [Int]]) throws {
        let members = regions.map { region in (groups["\(region) foreign software"] ?? []) + (groups["\(region) domestic software"] ?? []) }
        let present = regions.indices.filter { !members[$0].isEmpty }
        let sizes = present.map { Double(members[$0].count) }, total = sizes.reduce(0, +)
        var solved: [String: ParamValue] = [:]
        for (cell, name) in [("mean(rd_employees)", "rd_employees"), ("mean(rd_expenditure)", "rd_expenditure")] {
            var constraints = present.enumerated().compactMap { index, region in
                value("Table 4", regions[region], "software", cell).map { Constraint(coefficients: [index: 1], target: $0) }
            }
            if let target = value("Table 4", "Total", "software", cell) {
                constraints.append(Constraint(coefficients: Dictionary(uniqueKeysWithValues: sizes.indices.map { ($0, sizes[$0] / total) }), target: target))
            }
            let means = solve(present.count, constraints, into: &solved, "software " + name)
            for (index, region) in present.enumerated() {
                for (firm, share) in zip(members[region], spread(means[index], count: members[region].count, sd: 12)) {
                    if name == "rd_employees" { firms[firm].rdEmployees = share } else { firms[firm].rdExpenditure = share }
                }
            }
        }
        truth["software_means"] = .map(solved)
    }

    /// Productivity and size: log-normal by ownership, the text's means and medians exact; a founding year.
    mutating func drawScale(_ firms: inout [Firm], productivity: (foreign: Double, domestic: Double), median: (foreign: Double, domestic: Double),
                            employees: (foreign: Double, domestic: Double)) {
        let regionEffect = Dictionary(uniqueKeysWithValues: regions.map { ($0, draws.normal(0, 0.25)) })
        for ownership in Survey.ownerships {
            let foreign = ownership == "foreign"
            let index = firms.indices.filter { firms[$0].ownership == ownership }
            let (mean, middle) = foreign ? (productivity.foreign, median.foreign) : (productivity.domestic, median.domestic)
            let sigma = (2 * log(mean / middle)).squareRoot()
            let raw = index.map { exp(log(middle) + regionEffect[firms[$0].region]! + sigma * draws.normal()) }
            for (firm, value) in zip(index, Self.exactMeanAndMedian(raw, mean: mean, median: middle)) { firms[firm].productivity = value }
            let size = foreign ? employees.foreign : employees.domestic
            let hardware = index.filter { firms[$0].sector == "hardware" }
            let sizes = Self.exactMeanAndMedian(hardware.map { _ in exp(draws.normal(0, 1.1)) }, mean: size, median: size * 0.45)
            for (firm, value) in zip(hardware, sizes) { firms[firm].employees = max(1, Int64(value.rounded())) }
            for firm in index where firms[firm].sector == "software" { firms[firm].employees = Int64(20 + draws.index(400)) }
            for firm in index { firms[firm].founded = Int64(1980 + draws.index(27)) }
        }
    }

    // MARK: Solving group means inside printed intervals

    /// A linear function of the cell means whose value must round to `target`. The terms are
    /// kept in cell order: sums in a dictionary's order would differ between runs in the last
    /// bit, and so would the firms.
    struct Constraint {
        var terms: [(key: Int, value: Double)]
        var target: Printed

        init(coefficients: [Int: Double], target: Printed) {
            terms = coefficients.sorted { $0.key < $1.key }
            self.target = target
        }

        var isCell: Bool { terms.count == 1 && terms[0].value == 1 }

        func value(_ x: [Double]) -> Double { terms.reduce(0.0) { $0 + $1.value * x[$1.key] } }
    }

    /// Cell means satisfying the constraints' intervals, each shrunk to 90% so round-off stays
    /// inside. A cell's own printed mean bounds it (a box); a total or region row whose interval
    /// its cells' boxes cannot reach contradicts them and is set aside; the rest are met by
    /// cyclic projection onto each slab, clamped to the boxes. Records the means and the
    /// constraints left unmet (the contradictions `tables.compare` will list).
    func solve(_ count: Int, _ constraints: [Constraint], into record: inout [String: ParamValue], _ name: String) -> [Double] {
        func bounds(_ c: Constraint) -> (Double, Double) { (c.target.value - 0.9 * c.target.halfUnit, c.target.value + 0.9 * c.target.halfUnit) }
        var low = [Double](repeating: 0, count: count), high = [Double](repeating: 100, count: count)
        var x = [Double](repeating: .nan, count: count)
        for cell in constraints where cell.isCell {
            let index = cell.terms[0].key
            (low[index], high[index]) = bounds(cell)
            x[index] = cell.target.value
        }
        var aggregates = constraints.filter { !$0.isCell }
        let fallback = aggregates.first.map(\.target.value) ?? 50
        x = x.map { $0.isNaN ? fallback : $0 }
        // Totals out of their cells' reach: Σ a·low … Σ a·high misses the interval.
        let reachable = aggregates.filter { c in
            let (l, h) = bounds(c)
            let least = c.terms.reduce(0.0) { $0 + $1.value * ($1.value > 0 ? low[$1.key] : high[$1.key]) }
            let most = c.terms.reduce(0.0) { $0 + $1.value * ($1.value > 0 ? high[$1.key] : low[$1.key]) }
            return most >= l && least <= h
        }
        aggregates = reachable
        for _ in 0..<20_000 {
            var moved = false
            for constraint in aggregates {
                let (l, h) = bounds(constraint)
                let value = constraint.value(x)
                let norm = constraint.terms.reduce(0.0) { $0 + $1.value * $1.value }
                let step = value < l ? l - value : value > h ? h - value : 0
                guard step != 0, norm > 0 else { continue }
                moved = true
                for (index, coefficient) in constraint.terms { x[index] = min(high[index], max(low[index], x[index] + step * coefficient / norm)) }
            }
            if !moved { break }
        }
        let unmet = constraints.filter { abs($0.value(x) - $0.target.value) > $0.target.halfUnit }
        record[name] = .map(["means": .list(x.map(ParamValue.double)), "constraints": .int(Int64(constraints.count)), "unmet": .int(Int64(unmet.count))])
        return x
    }

    /// `count` shares in [0, 100] around `mean` whose mean is `mean` (to round-off).
    mutating func spread(_ mean: Double, count: Int, sd: Double) -> [Double] {
        guard count > 0 else { return [] }
        var values = (0..<count).map { _ in min(100, max(0, mean + sd * draws.normal())) }
        for _ in 0..<200 {
            let gap = mean - values.reduce(0, +) / Double(count)
            if abs(gap) < 1e-13 { break }
            // Spread the gap over the values that can still move that way.
            let free = values.indices.filter { gap > 0 ? values[$0] < 100 : values[$0] > 0 }
            guard !free.isEmpty else { break }
            let step = gap * Double(count) / Double(free.count)
            for index in free { values[index] = min(100, max(0, values[index] + step)) }
        }
        return values
    }

    /// `values` transformed to have exactly `median` and `mean`: scaled so the median is
    /// `median`, then the part above it scaled (about the median) to move the mean.
    static func exactMeanAndMedian(_ values: [Double], mean: Double, median: Double) -> [Double] {
        guard !values.isEmpty else { return [] }
        let sorted = values.sorted(), n = sorted.count
        let middle = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        var result = values.map { $0 * median / middle }
        let upper = result.indices.filter { result[$0] > median }
        let excess = upper.reduce(0.0) { $0 + result[$1] - median }
        let wanted = mean * Double(n) - result.reduce(0, +) + excess
        if excess > 0, wanted > 0 { for index in upper { result[index] = median + (result[index] - median) * wanted / excess } }
        return result
    }

    /// The permutation p with printed[p[i]] == actual[i] for every i (identity where none fits).
    static func rotation(_ printed: [Int], onto actual: [Int]) -> [Int] {
        var used = Set<Int>()
        return actual.enumerated().map { index, count in
            if printed[index] == count, !used.contains(index) { used.insert(index); return index }
            if let match = printed.indices.first(where: { printed[$0] == count && !used.contains($0) && printed[$0] != actual[$0] }) {
                used.insert(match); return match
            }
            return index
        }
    }

    static func table(_ firms: [Firm]) throws -> Table {
        try Table([
            ("firm", Column.categories(firms.indices.map { String(format: "Z%04d", $0 + 1) })),
            ("region", Column.categories(firms.map(\.region))), ("sector", Column.categories(firms.map(\.sector))),
            ("subsector", Column.categories(firms.map(\.subsector))), ("ownership", Column.categories(firms.map(\.ownership))),
            ("exporter", Column(bool: firms.map(\.exporter))), ("export_share", Column(double: firms.map(\.exportShare))),
            ("rd_employees", Column(double: firms.map(\.rdEmployees))), ("rd_expenditure", Column(double: firms.map(\.rdExpenditure))),
            ("new_products", Column(bool: firms.map(\.newProducts))), ("new_product_share", Column(double: firms.map(\.newProductShare))),
            ("productivity", Column(double: firms.map { Optional($0.productivity) })), ("employees", Column(int64: firms.map { Optional($0.employees) })),
            ("year_founded", Column(int64: firms.map { Optional($0.founded) })),
        ])
    }
}
