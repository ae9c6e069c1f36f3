import Foundation
import PaperflowCore
import PaperflowData

/// `synthetic.province-panel`: an-fu-2026's province panel — employment by sector, high-tech
/// exports by product, income and the controls — from a process with a known effect of
/// co-agglomeration on export complexity, since the yearbook extract is not public.
///
/// CO is computed from the generated employment exactly as `geo.coagglomeration` computes it
/// (Chen's index of the location quotients of high-tech manufacturing and producer services,
/// every sector in the denominator). The target is ln EXPY = province effect + year effect
/// + β·CO + δ·controls + ε; exports by product are then solved, year by year, so that
/// Hausmann, Hwang & Rodrik's EXPY computed from them (PRODY from the same exports and income,
/// as `complexity.prody-expy`) equals the target: each province's basket is tilted towards
/// products around a point of the PRODY ranking (s_rk ∝ base_k · exp(−(z_k − λ_r)²/0.5)), λ_r found by bisection, PRODY
/// recomputed until it settles; the largest |ln EXPY − target| left is reported in truth (0.012 at
/// an-fu-2026's seed). Version 2: targets centred on the log of the mean income (see run).
public struct ProvincePanelGenerator: Stage {
    public static let id = "synthetic.province-panel"
    public static let version = 2
    static let sectors = ["high_tech_manufacturing", "producer_services", "other"]
    static let products = ["aerospace", "electronics", "telecom", "computers", "office_equipment", "pharmaceuticals",
                           "medical_instruments", "instruments", "semiconductors", "software_media", "optics", "biotech"]
    public static let signature = StageSignature(
        summary: "An-fu-2026's province panel (employment by sector, high-tech exports by product, income, controls) with a planted effect of co-agglomeration on ln EXPY.",
        documentation: """
            provinces: province_code, province, province_zh and region3 (East, Middle, West; a
            province without one, Tibet, is left out, as in the paper). rd: optional real R&D
            intensity in percent (province_zh in column province, year, value), used where it
            covers a province-year; other years are generated. coefficients: the planted effect
            of co and of each control on ln EXPY. Outputs are long tables that the workflow's
            general stages read; source, employment_source, exports_source replace the
            generated controls, employment and exports with a user's yearbook extract (columns
            as the outputs).
            """,
        inputs: [PortSpec("provinces", kind: .table, summary: "province_code, province, province_zh, region3"),
                 PortSpec("rd", kind: .table, optional: true, summary: "province (Chinese name), year, value: R&D intensity, %")],
        outputs: [PortSpec("employment", kind: .table, fileName: "employment.pftable", summary: "year, province, sector, employment"),
                  PortSpec("exports", kind: .table, fileName: "exports.pftable", summary: "year, province, product, value"),
                  PortSpec("controls", kind: .table, fileName: "controls.pftable",
                           summary: "year, province, region3, gdp_per_capita, rd, fin, fdi, ti, open"),
                  PortSpec("truth", kind: .json, fileName: "truth.json", summary: "planted coefficients, solver error")],
        params: [
            SyntheticScale.parameter, SyntheticScale.seedParameter, SyntheticScale.sourceParameter,
            ParamSpec("employment_source", .path, default: .string(""), summary: "a CSV of employment (year, province, sector, employment)"),
            ParamSpec("exports_source", .path, default: .string(""), summary: "a CSV of exports (year, province, product, value)"),
            ParamSpec("years", .list(.int), default: .list([.int(2010), .int(2023)]), summary: "first and last year"),
            ParamSpec("coefficients", .map(.double),
                      default: .map(["co": .double(0.3), "rd": .double(5), "fin": .double(0.15), "fdi": .double(-3),
                                     "ti": .double(0.05), "open": .double(-0.3)]),
                      summary: "planted effects on ln EXPY"),
        ],
        fileParams: ["source", "employment_source", "exports_source"]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.table("provinces")
        let allNames = try SyntheticSource.texts(table, "province", for: "provinces")
        let allRegions = try SyntheticSource.texts(table, "region3", for: "provinces")
        let allChinese = try SyntheticSource.texts(table, "province_zh", for: "provinces")
        let kept = allNames.indices.filter { !allRegions[$0].isEmpty }
        let names = kept.map { allNames[$0] }, regions = kept.map { allRegions[$0] }, chinese = kept.map { allChinese[$0] }
        let yearList = context.params["years"]?.listValue?.compactMap(\.intValue).map(Int.init) ?? []
        guard yearList.count == 2, yearList[0] < yearList[1] else { throw StageFailure("years must be [first, last], e.g. [2010, 2023]") }
        let years = Array(yearList[0]...yearList[1])
        let beta = (context.params["coefficients"]?.mapValue ?? [:]).compactMapValues(\.doubleValue)
        let controls = ["rd", "fin", "fdi", "ti", "open"]
        for name in ["co"] + controls where beta[name] == nil {
            throw StageFailure("coefficients has no '\(name)'; give co, rd, fin, fdi, ti and open")
        }
        // Real R&D intensity where the yearbook covers it.
        var realRD: [String: Double] = [:]
        if context.inputs["rd"] != nil {
            let rd = try context.table("rd")
            let places = try SyntheticSource.texts(rd, "province", for: "rd")
            let rdYears = try rd.numbers("year", for: "rd's year"), values = try rd.numbers("value", for: "rd's value")
            for row in places.indices where !values[row].isNaN { realRD["\(places[row])|\(Int(rdYears[row]))"] = values[row] / 100 }
        }
        var draws = Draws(seed: context.int("seed")!)
        let n = names.count
        let effect = (0..<n).map { _ in draws.normal(0, 0.05) }
        let income0 = (0..<n).map { regions[$0] == "East" ? exp(draws.normal(11.0, 0.3)) : exp(draws.normal(10.4, 0.2)) }
        let baseShares = (0..<n).map { _ in (draws.uniform(0.04, 0.08), draws.uniform(0.07, 0.12)) }
        let levels = (0..<n).map { _ in (fin: draws.uniform(0.8, 2.5), fdi: draws.uniform(0.005, 0.04), ti: draws.uniform(0.3, 2.0), open: draws.uniform(0.05, 0.9)) }
        let quality = Self.products.indices.map { 2 * Double($0) / Double(Self.products.count - 1) - 1 }
        let base = Self.products.indices.map { _ in draws.uniform(0.5, 1.5) }

        var employmentRows = Columns(), exportRows = Columns(), controlRows = Columns()
        var maxError = 0.0, usedReal = 0
        // Pass 1: employment, CO (as geo.coagglomeration computes it), income and controls.
        var predictor = [[Double]](repeating: [Double](repeating: 0, count: n), count: years.count)
        var incomes = predictor
        for (y, year) in years.enumerated() {
            let t = Double(year - years[0])
            var employment = [[Double]](repeating: [0, 0, 0], count: n)
            for r in 0..<n {
                let total = exp(draws.normal(7, 0.6)) * 100
                let tech = baseShares[r].0 * exp(draws.normal(0.02 * t, 0.08)), services = baseShares[r].1 * exp(draws.normal(0.015 * t, 0.08))
                employment[r] = [(total * tech).rounded(), (total * services).rounded(), (total * (1 - tech - services)).rounded()]
            }
            let regionTotals = employment.map { $0.reduce(0, +) }, grand = regionTotals.reduce(0, +)
            let sectorTotals = (0..<3).map { s in employment.reduce(0) { $0 + $1[s] } }
            for r in 0..<n {
                let lqz = (employment[r][0] / regionTotals[r]) / (sectorTotals[0] / grand)
                let lqs = (employment[r][1] / regionTotals[r]) / (sectorTotals[1] / grand)
                let co = (1 - abs(lqz - lqs) / (lqz + lqs)) + (lqz + lqs)
                incomes[y][r] = (income0[r] * pow(1.07, t) * exp(draws.normal(0, 0.02))).rounded()
                let real = realRD["\(chinese[r])|\(year)"]
                if real != nil { usedReal += 1 }
                let x: [String: Double] = [
                    "rd": real ?? max(0.002, 0.012 + 0.001 * t + draws.normal(0, 0.004)),
                    "fin": ((levels[r].fin + 0.03 * t + draws.normal(0, 0.05)) * 1000).rounded() / 1000,
                    "fdi": ((max(0.001, levels[r].fdi + draws.normal(0, 0.003))) * 10000).rounded() / 10000,
                    "ti": ((levels[r].ti + 0.04 * t + draws.normal(0, 0.03)) * 1000).rounded() / 1000,
                    "open": ((max(0.02, levels[r].open - 0.01 * t + draws.normal(0, 0.03))) * 1000).rounded() / 1000,
                ]
                predictor[y][r] = beta["co"]! * co + controls.reduce(0) { $0 + beta[$1]! * x[$1]! }
                controlRows.append(year: year, province: names[r], ["region3": .text(regions[r]), "gdp_per_capita": .number(incomes[y][r])]
                                   .merging(x.mapValues { .number($0) }) { $1 })
                for (s, sector) in Self.sectors.enumerated() {
                    employmentRows.append(year: year, province: names[r], ["sector": .text(sector), "employment": .number(employment[r][s])])
                }
            }
        }
        // Pass 2: targets. The province effect offsets the province's mean predictor, so the
        // planted coefficients act within provinces and years; between provinces the targets
        // follow income (0.25 × its deviation), centred on the log of the mean income —
        // EXPY averages incomes arithmetically, so a centre at the mean log income would push
        // every basket to the cheap end, where the poorest targets cannot be reached.
        let offsets = (0..<n).map { r in -years.indices.reduce(0) { $0 + predictor[$1][r] } / Double(years.count) + effect[r] }
        let slope = 0.25
        for (y, year) in years.enumerated() {
            let logs = incomes[y].map(log), meanLog = logs.reduce(0, +) / Double(n)
            var target = (0..<n).map { r in slope * (logs[r] - meanLog) + offsets[r] + predictor[y][r] + draws.normal(0, 0.03) }
            let meanTarget = target.reduce(0, +) / Double(n), centre = log(incomes[y].reduce(0, +) / Double(n))
            target = target.map { $0 - meanTarget + centre }
            let (shares, error) = Self.solve(target: target, income: incomes[y], base: base, quality: quality)
            maxError = max(maxError, error)
            for r in 0..<n {
                let totalExports = exp(draws.normal(12, 0.8))
                for (k, product) in Self.products.enumerated() {
                    exportRows.append(year: year, province: names[r], ["product": .text(product), "value": .number(totalExports * shares[r][k])])
                }
            }
        }
        var outputs: [String: Artifact] = [:]
        outputs["employment"] = try SyntheticSource.table(context, "employment_source", required: ["year", "province", "sector", "employment"],
                                                          generated: employmentRows.table).artifact
        outputs["exports"] = try SyntheticSource.table(context, "exports_source", required: ["year", "province", "product", "value"],
                                                       generated: exportRows.table).artifact
        outputs["controls"] = try SyntheticSource.table(context, "source", required: ["year", "province", "region3", "gdp_per_capita"] + controls,
                                                        generated: controlRows.table).artifact
        let truth: ParamValue = .map(["coefficients": .map(beta.mapValues(ParamValue.double)), "provinces": .int(Int64(n)),
                                      "years": .list(years.map { .int(Int64($0)) }), "max_abs_log_expy_error": .double(maxError),
                                      "rd_from_yearbook": .int(Int64(usedReal)),
                                      "model": .string("ln EXPY = province effect + year effect + co*CO + rd*rd + fin*fin + fdi*fdi + ti*ti + open*open + 0.25 (ln income - year mean) + e, e ~ N(0, 0.03^2); targets centred on the log of the year's mean income")])
        outputs["truth"] = .bytes(Data(JSONText.pretty(truth)))
        return outputs
    }

    /// Export shares s_rk ∝ base_k exp(λ_r q_k) whose EXPY (with PRODY from the same shares and
    /// income) equals exp(target_r); the largest |ln EXPY − target| reached.
    static func solve(target: [Double], income: [Double], base: [Double], quality: [Double]) -> ([[Double]], Double) {
        let n = target.count, k = base.count
        // Each basket is a bell over the products ordered by the current ln PRODY (standardised),
        // centred at λ: EXPY rises with λ, a bisection finds each province's λ, and PRODY is
        // recomputed (damped) until it settles. A bell keeps middle provinces off the extreme
        // products, so the extremes' PRODY stay extreme and every target stays reachable.
        var direction = quality
        func shares(_ lambda: Double) -> [Double] {
            let raw = (0..<k).map { base[$0] * exp(-(direction[$0] - lambda) * (direction[$0] - lambda) / 0.5) + 1e-9 }
            let sum = raw.reduce(0, +)
            return raw.map { $0 / sum }
        }
        let meanIncome = income.reduce(0, +) / Double(n)
        var lambdas = (0..<n).map { r in max(-1.5, min(1.5, 2 * (income[r] - meanIncome) / meanIncome)) }
        var s = lambdas.map(shares)
        var error = Double.infinity
        for _ in 0..<100 {
            let columnSums = (0..<k).map { j in s.reduce(0) { $0 + $1[j] } }
            let prody = (0..<k).map { j in (0..<n).reduce(0) { $0 + s[$1][j] / columnSums[j] * income[$1] } }
            func expy(_ share: [Double]) -> Double { zip(share, prody).reduce(0) { $0 + $1.0 * $1.1 } }
            error = (0..<n).map { abs(log(expy(s[$0])) - target[$0]) }.max()!
            if error < 1e-10 { break }
            let logs = prody.map(log), mean = logs.reduce(0, +) / Double(k)
            let sd = (logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(k)).squareRoot()
            direction = logs.map { sd > 0 ? ($0 - mean) / sd : 0 }
            for r in 0..<n {
                var low = -4.0, high = 4.0
                for _ in 0..<60 {
                    let mid = (low + high) / 2
                    if log(expy(shares(mid))) < target[r] { low = mid } else { high = mid }
                }
                lambdas[r] = (low + high) / 2
            }
            let next = lambdas.map(shares)
            s = zip(s, next).map { old, new in zip(old, new).map { 0.5 * $0 + 0.5 * $1 } }
        }
        return (s, error)
    }
}

/// A long table built row by row: year, province, then named text or number columns.
struct Columns {
    enum Cell { case text(String), number(Double) }
    var years: [Int64] = [], provinces: [String] = []
    var cells: [String: [Cell]] = [:]
    var order: [String] = []

    mutating func append(year: Int, province: String, _ row: [String: Cell]) {
        years.append(Int64(year)); provinces.append(province)
        for name in row.keys.sorted() where cells[name] == nil { order.append(name); cells[name] = [] }
        for name in order { cells[name]!.append(row[name]!) }
    }

    func table() throws -> Table {
        var pairs: [(String, Column)] = [("year", Column(int64: years)), ("province", .categories(provinces))]
        for name in order {
            let values = cells[name]!
            if case .text = values.first {
                pairs.append((name, .categories(values.map { if case let .text(t) = $0 { return t } else { return "" } })))
            } else {
                pairs.append((name, Column(double: values.map { if case let .number(x) = $0 { return x } else { return .nan } })))
            }
        }
        return try Table(pairs)
    }
}
