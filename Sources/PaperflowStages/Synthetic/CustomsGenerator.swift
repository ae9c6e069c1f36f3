import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStats

/// `synthetic.customs`: China-customs-like firm records (liu-zhu-2021, li-he-li-2018) from a
/// process with known coefficients, since the real records are not public.
///
/// The process is liu-zhu-2021's model, run forward year by year: whether firm f exports HS4
/// product i in year t is a probit in the firm's density to its own imports, its city's
/// density, their product, log trade value and log new exports, all of year t − 1 (Table 1
/// model (4)'s coefficients by default), with HS2 chapter effects. Each t − 1 variable is
/// computed as the workflow computes it — proximity from firm co-export (Hidalgo et al. 2007,
/// φ_ii = 1), densities by `ProductSpace`, `trade.new-products`' log1p count — so the workflow's
/// probit on lagged regressors is correctly specified and must recover the coefficients.
/// Imports are exogenous: each firm draws them around a home cluster of related products, with
/// a coherence (share drawn from the cluster) that may rise over time inland (li-he-li-2018's
/// planted AR rising inland). Records carry real HS codes in the vintage of their year, chosen
/// so that `trade.harmonize-hs` maps each back within its HS4 heading; intermediaries (named
/// with liu-zhu's keywords) and processing-trade records are added for `trade.filter-firms` to
/// remove.
public struct CustomsGenerator: Stage {
    public static let id = "synthetic.customs"
    public static let version = 2
    public static let recordColumns = ["firm", "name", "city", "ownership", "year", "direction", "hs_vintage", "product", "mode", "value"]
    public static let cityColumns = ["year", "city", "gdp_per_capita", "fiscal_share"]
    public static let signature = StageSignature(
        summary: "Customs-like firm records (firm, name, city, ownership, year, direction, HS code of the year's vintage, trade mode, value) from liu-zhu-2021's model with planted coefficients.",
        documentation: """
            places: one row per city with its province and region4 (East, Central, West,
            Northeast); city_zh, if present, starts the firms' Chinese names. Years before 2002
            carry HS1996 codes, 2002–2006 HS2002, 2007–2011 HS2007, from 2012 HS2012 (real
            UNSD codes). coefficients: the probit's intercept, density_firm, density_city,
            interaction, tradevalue and newexport (default: Table 1 model (4)). coherence_*:
            the share of a firm's imports drawn from its home cluster in the first and last
            year (linear between), for coastal (East) and inland cities. The truth output
            records every planted value. source: a CSV extract with the records' columns
            (hs_vintage may be left out: it is then derived from the year) replaces the
            generator; cities_source likewise replaces the city statistics (year, city,
            gdp_per_capita, fiscal_share).
            """,
        inputs: [PortSpec("places", kind: .table, summary: "city, province, region4[, city_zh]")],
        outputs: [PortSpec("records", kind: .table, fileName: "records.pftable", summary: recordColumns.joined(separator: ", ")),
                  PortSpec("cities", kind: .table, fileName: "cities.pftable", summary: "year, city, province, region4, gdp_per_capita, fiscal_share"),
                  PortSpec("truth", kind: .json, fileName: "truth.json", summary: "the planted coefficients and sizes")],
        params: [
            SyntheticScale.parameter, SyntheticScale.seedParameter, SyntheticScale.sourceParameter,
            ParamSpec("cities_source", .path, default: .string(""), summary: "a CSV of city statistics to use instead of generating"),
            ParamSpec("years", .list(.int), default: .list([.int(2002), .int(2016)]), summary: "first and last year"),
            ParamSpec("coefficients", .map(.double),
                      default: .map(["intercept": .double(-2.4), "density_firm": .double(5.081), "density_city": .double(0.841),
                                     "interaction": .double(-2.988), "tradevalue": .double(-0.0248), "newexport": .double(0.291)]),
                      summary: "planted probit coefficients"),
            ParamSpec("coherence_coastal", .list(.double), default: .list([.double(0.85), .double(0.85)]),
                      summary: "share of imports from the home cluster, first and last year, East"),
            ParamSpec("coherence_inland", .list(.double), default: .list([.double(0.85), .double(0.85)]),
                      summary: "the same for cities outside the East"),
            ParamSpec("intermediary_share", .double, default: .double(0.08), summary: "share of firms that are trading intermediaries"),
            ParamSpec("processing_share", .double, default: .double(0.2), summary: "share of firms with processing-trade records"),
        ],
        fileParams: ["source", "cities_source"],
        cost: .memoryHeavy
    )

    public init() {}

    /// The HS vintage of a year's customs records.
    static func vintage(of year: Int) -> HSVintage {
        year <= 2001 ? .hs1996 : year <= 2006 ? .hs2002 : year <= 2011 ? .hs2007 : .hs2012
    }

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let places = try context.table("places")
        let cityNames = try SyntheticSource.texts(places, "city", for: "places")
        let regions = try SyntheticSource.texts(places, "region4", for: "places")
        let provinces = try SyntheticSource.texts(places, "province", for: "places")
        let chineseNames = places["city_zh"] != nil ? try SyntheticSource.texts(places, "city_zh", for: "places") : cityNames
        guard !cityNames.isEmpty else { throw StageFailure("input places has no rows; it needs one row per city") }
        let years = context.params["years"]?.listValue?.compactMap(\.intValue).map(Int.init) ?? []
        guard years.count == 2, years[0] < years[1] else { throw StageFailure("years must be [first, last] with first < last, e.g. [2002, 2016]") }
        let seed = context.int("seed")!
        var outputs: [String: Artifact] = [:]
        var truth: [String: ParamValue] = ["seed": .int(seed), "scale": .string(context.string("scale")!), "years": .list(years.map { .int(Int64($0)) })]

        let source = context.string("source")!
        if source.isEmpty {
            var world = try CustomsWorld(context: context, cities: cityNames, chinese: chineseNames, regions: regions, years: years[0]...years[1])
            outputs["records"] = try world.simulate().artifact
            truth.merge(world.truth) { $1 }
        } else {
            var table = try SyntheticSource.read(context, path: source, required: Self.recordColumns.filter { $0 != "hs_vintage" },
                                                 types: ["product": .string, "firm": .string])
            if table["hs_vintage"] == nil {
                let yearValues = try table.numbers("year", for: "source's year")
                table = try table.adding("hs_vintage", .categories(yearValues.map { Self.vintage(of: Int($0)).rawValue }))
                context.report(.note, "\(source) has no hs_vintage column; derived from the year (HS1996 to 2001, HS2002 2002–2006, HS2007 2007–2011, HS2012 from 2012)")
            }
            outputs["records"] = table.artifact
            truth["source"] = .string(source)
        }
        outputs["cities"] = try SyntheticSource.table(context, "cities_source", required: Self.cityColumns) {
            try Self.cityStatistics(cityNames, provinces, regions, years: years[0]...years[1], seed: seed)
        }.artifact
        outputs["truth"] = .bytes(Data(JSONText.pretty(.map(truth))))
        return outputs
    }

    /// GDP per capita (yuan; higher in the East, growing 9% a year) and fiscal expenditure as a
    /// share of GDP (higher inland), per city and year.
    static func cityStatistics(_ cities: [String], _ provinces: [String], _ regions: [String], years: ClosedRange<Int>, seed: Int64) throws -> Table {
        var draws = Draws(seed: seed, stream: 7)
        var yearColumn: [Int64] = [], cityColumn: [String] = [], provinceColumn: [String] = [], regionColumn: [String] = []
        var income: [Double] = [], fiscal: [Double] = []
        for (index, city) in cities.enumerated() {
            let east = regions[index] == "East"
            let base = exp(draws.normal(east ? 10.0 : 9.5, 0.3)), share = draws.uniform(east ? 0.08 : 0.14, east ? 0.16 : 0.28)
            for year in years {
                yearColumn.append(Int64(year)); cityColumn.append(city); provinceColumn.append(provinces[index]); regionColumn.append(regions[index])
                income.append((base * pow(1.09, Double(year - years.lowerBound)) * exp(draws.normal(0, 0.03))).rounded())
                fiscal.append(((share + draws.normal(0, 0.01)) * 10_000).rounded() / 10_000)
            }
        }
        return try Table([("year", Column(int64: yearColumn)), ("city", .categories(cityColumn)), ("province", .categories(provinceColumn)),
                          ("region4", .categories(regionColumn)), ("gdp_per_capita", Column(double: income)), ("fiscal_share", Column(double: fiscal))])
    }
}

/// The generator's state: products, clusters, cities, firms, and the year-by-year simulation.
struct CustomsWorld {
    struct Firm {
        var id: String, name: String, city: Int, ownership: String, home: Int, size: Double
        var intermediary: Bool, processing: Bool
    }

    /// HS4 headings simulated, each with its 6-digit code in every vintage.
    var headings: [String] = []
    var codes: [HSVintage: [String]] = [:]
    var cluster: [Int] = []
    var clusterMembers: [[Int32]] = []
    var chapterEffect: [Double] = []
    var firms: [Firm] = []
    var cityNames: [String], coastal: [Bool]
    let years: ClosedRange<Int>
    let beta: [String: Double]
    let coherenceCoastal: [Double], coherenceInland: [Double]
    var draws: Draws
    var truth: [String: ParamValue] = [:]

    init(context: StageContext, cities: [String], chinese: [String], regions: [String], years: ClosedRange<Int>) throws {
        let scale = SyntheticScale(context)
        let seed = context.int("seed")!
        draws = Draws(seed: seed)
        cityNames = cities
        coastal = regions.map { $0 == "East" }
        self.years = years
        beta = (context.params["coefficients"]?.mapValue ?? [:]).compactMapValues(\.doubleValue)
        for name in ["intercept", "density_firm", "density_city", "interaction", "tradevalue", "newexport"] where beta[name] == nil {
            throw StageFailure("coefficients has no '\(name)'; give intercept, density_firm, density_city, interaction, tradevalue and newexport")
        }
        coherenceCoastal = context.params["coherence_coastal"]?.listValue?.compactMap(\.doubleValue) ?? []
        coherenceInland = context.params["coherence_inland"]?.listValue?.compactMap(\.doubleValue) ?? []
        guard coherenceCoastal.count == 2, coherenceInland.count == 2 else {
            throw StageFailure("coherence_coastal and coherence_inland are [first year, last year] shares, e.g. [0.85, 0.85]")
        }
        try chooseProducts(count: scale.pick(120, 240, 600))
        let firmCount = scale.pick(500, 1500, 15000)
        makeFirms(count: firmCount, chinese: chinese, regions: regions,
                  intermediaryShare: context.double("intermediary_share")!, processingShare: context.double("processing_share")!)
        truth = ["coefficients": .map(beta.mapValues(ParamValue.double)), "products": .int(Int64(headings.count)),
                 "clusters": .int(Int64(clusterMembers.count)), "firms": .int(Int64(firms.count { !$0.intermediary })),
                 "intermediaries": .int(Int64(firms.count { $0.intermediary })),
                 "coherence_coastal": .list(coherenceCoastal.map(ParamValue.double)), "coherence_inland": .list(coherenceInland.map(ParamValue.double)),
                 "chapter_effects": .map(Dictionary(uniqueKeysWithValues: Set(headings.map { String($0.prefix(2)) }).sorted().map {
                     ($0, ParamValue.double(chapterEffect[Int($0)!]))
                 })),
                 "model": .string("export_{f,i,t} = 1[b0 + b1 density_firm + b2 density_city + b3 density_firm*density_city + b4 tradevalue + b5 newexport + chapter(i) + u > 0], regressors of t - 1, u ~ N(0, 1)")]
    }

    /// HS4 headings of manufacturing chapters (28–96) with a 6-digit code that every vintage
    /// maps back within the heading, so harmonisation loses nothing.
    mutating func chooseProducts(count: Int) throws {
        var clean: [HSVintage: [String: [String]]] = [:]
        for vintage in [HSVintage.hs1996, .hs2002, .hs2012] {
            let table = try HSConcordance.table(vintage)
            var reverse: [String: [String]] = [:]
            for (source, mapping) in table.mappings {
                let heading = mapping.targets.first.map { $0.prefix(4) }
                guard mapping.targets.allSatisfy({ $0.prefix(4) == heading }) else { continue }
                for target in mapping.targets { reverse[target, default: []].append(source) }
            }
            clean[vintage] = reverse
        }
        var byHeading: [String: String] = [:]
        for code in try HSConcordance.table(.hs2007).mappings.keys.sorted() {
            guard let chapter = Int(code.prefix(2)), (28...96).contains(chapter) else { continue }
            let heading = String(code.prefix(4))
            if byHeading[heading] == nil, [HSVintage.hs1996, .hs2002, .hs2012].allSatisfy({ clean[$0]?[code]?.isEmpty == false }) {
                byHeading[heading] = code
            }
        }
        headings = Array(draws.shuffled(byHeading.keys.sorted()).prefix(count)).sorted()
        for vintage in HSVintage.allCases where vintage != .hs2017 && vintage != .hs2022 {
            codes[vintage] = headings.map { heading in
                let code = byHeading[heading]!
                return vintage == .hs2007 ? code : clean[vintage]![code]!.min()!
            }
        }
        let clusterCount = max(4, headings.count / 20)
        cluster = draws.shuffled(headings.indices.map { $0 % clusterCount })
        clusterMembers = (0..<clusterCount).map { c in headings.indices.filter { cluster[$0] == c }.map(Int32.init) }
        chapterEffect = (0...99).map { _ in draws.normal(0, 0.15) }
    }

    mutating func makeFirms(count: Int, chinese: [String], regions: [String], intermediaryShare: Double, processingShare: Double) {
        // Cities weighted as China's exports are: most firms on the coast.
        let weights = regions.map { $0 == "East" ? 4.0 : $0 == "Northeast" ? 1.2 : 1.0 }
        let dominant = cityNames.indices.map { _ in [draws.index(clusterMembers.count), draws.index(clusterMembers.count)] }
        let stateShare = cityNames.indices.map { coastal[$0] ? draws.uniform(0.05, 0.35) : draws.uniform(0.2, 0.6) }
        let syllables = ["华", "新", "恒", "瑞", "宏", "中", "东", "盛", "泰", "达", "联", "信", "科", "元", "丰", "晨", "嘉", "凯"]
        let suffixes = ["科技有限公司", "电子有限公司", "机械制造有限公司", "精密工业有限公司", "新材料有限公司", "实业有限公司"]
        let brokers = ["进出口有限公司", "国际贸易有限公司", "商贸有限公司", "物流有限公司", "外贸发展有限公司"]
        let intermediaries = Int((Double(count) * intermediaryShare).rounded())
        for index in 0..<(count + intermediaries) {
            let city = draws.weighted(weights)
            let broker = index >= count
            let roll = draws.uniform()
            let ownership = roll < stateShare[city] ? "state" : draws.chance(coastal[city] ? 0.45 : 0.2) ? "foreign" : "private"
            let home = draws.chance(0.85) ? draws.pick(dominant[city]) : draws.index(clusterMembers.count)
            let name = chinese[city] + draws.pick(syllables) + draws.pick(syllables) + (broker ? draws.pick(brokers) : draws.pick(suffixes))
            firms.append(Firm(id: String(format: "F%06d", index + 1), name: name, city: city, ownership: ownership, home: home,
                              size: exp(draws.normal(13, 1.2)), intermediary: broker, processing: !broker && draws.chance(processingShare)))
        }
    }

    /// The share of a firm's draws from its home cluster in `year`.
    func coherence(_ firm: Firm, _ year: Int) -> Double {
        let pair = coastal[firm.city] ? coherenceCoastal : coherenceInland
        let t = years.count > 1 ? Double(year - years.lowerBound) / Double(years.count - 1) : 0
        return pair[0] + (pair[1] - pair[0]) * t
    }

    /// One product near the firm's home cluster (or anywhere, with probability 1 − coherence).
    mutating func draw(_ firm: Firm, _ year: Int) -> Int32 {
        draws.chance(coherence(firm, year)) ? draws.pick(clusterMembers[firm.home]) : Int32(draws.index(headings.count))
    }

    /// The records of every year.
    mutating func simulate() throws -> Table {
        let productCount = headings.count
        let core = firms.indices.filter { !firms[$0].intermediary }
        var records = RecordColumns()
        var imports = [[Int32]](repeating: [], count: firms.count)
        var exports = [[Int32]](repeating: [], count: firms.count)
        var history = [Set<Int32>](repeating: [], count: firms.count)
        var totals = [Double](repeating: 0, count: firms.count)
        var newexport = [Double?](repeating: nil, count: firms.count)
        for year in years {
            let vintage = CustomsGenerator.vintage(of: year)
            // Imports: exogenous, persistent (80% kept), topped up from the home cluster.
            let lastImports = imports
            for f in firms.indices {
                let target = 3 + draws.index(6)
                var kept = Set(imports[f].filter { _ in draws.chance(0.8) })
                while kept.count < target { kept.insert(draw(firms[f], year)) }
                imports[f] = kept.sorted()
            }
            // Exports: the probit on last year's variables (the first year: drawn like imports).
            var newExports = [[Int32]](repeating: [], count: firms.count)
            if year == years.lowerBound {
                for f in firms.indices {
                    var set = Set<Int32>()
                    for _ in 0..<(2 + draws.index(5)) { set.insert(draw(firms[f], year)) }
                    newExports[f] = set.sorted()
                }
            } else {
                let space = ProductSpace(Presence(productCount: productCount, rows: core.map { exports[$0] }), diagonal: .one)
                let firmDensity = dense(space.densities(of: Presence(productCount: productCount, rows: core.map { lastImports[$0] })), units: core.count)
                var cityImports = [Set<Int32>](repeating: [], count: cityNames.count)
                for f in core { cityImports[firms[f].city].formUnion(lastImports[f]) }
                let cityDensity = dense(space.densities(of: Presence(productCount: productCount, rows: cityImports.map { $0.sorted() })),
                                        units: cityNames.count)
                let b0 = beta["intercept"]!, b1 = beta["density_firm"]!, b2 = beta["density_city"]!, b3 = beta["interaction"]!
                let b4 = beta["tradevalue"]!, b5 = beta["newexport"]!
                for (row, f) in core.enumerated() {
                    let firm = firms[f]
                    let base = b0 + b4 * (totals[f] > 0 ? log(totals[f]) : 0) + b5 * (newexport[f] ?? 0)
                    var chosen: [Int32] = []
                    for p in 0..<productCount {
                        let df = firmDensity[row * productCount + p], dc = cityDensity[firm.city * productCount + p]
                        let u = draws.normal()
                        if df.isNaN || dc.isNaN {
                            // Nobody exported it last year: an occasional entry near home.
                            if cluster[p] == firm.home, u > 2.3 { chosen.append(Int32(p)) }
                            continue
                        }
                        let index = base + b1 * df + b2 * dc + b3 * df * dc + chapterEffect[Int(headings[p].prefix(2))!]
                        if index + u > 0 { chosen.append(Int32(p)) }
                    }
                    newExports[f] = chosen
                }
                for f in firms.indices where firms[f].intermediary {
                    newExports[f] = (0..<(3 + draws.index(4))).map { _ in Int32(draws.index(productCount)) }.sorted()
                }
            }
            exports = newExports.map { Array(Set($0)).sorted() }
            // Records, and the variables next year's draw reads (core, ordinary trade only).
            for f in firms.indices {
                let firm = firms[f]
                var total = 0.0
                for (direction, products) in [("import", imports[f]), ("export", exports[f])] {
                    for p in products {
                        let value = (firm.size * exp(draws.normal(-2, 0.8))).rounded()
                        total += value
                        records.append(firm, cityNames[firm.city], year, direction, vintage, codes[vintage]![Int(p)], "ordinary", value)
                    }
                }
                if firm.processing {
                    for direction in ["import", "export"] {
                        let p = Int(draws.index(productCount))
                        records.append(firm, cityNames[firm.city], year, direction, vintage, codes[vintage]![p], "processing",
                                       (firm.size * exp(draws.normal(-1.5, 0.8))).rounded())
                    }
                }
                totals[f] = total
                if year == years.lowerBound {
                    newexport[f] = nil
                } else {
                    let fresh = exports[f].count { !history[f].contains($0) }
                    newexport[f] = exports[f].isEmpty ? nil : log1p(Double(fresh))
                }
                history[f].formUnion(exports[f])
            }
        }
        return try records.table()
    }

    /// Density cells (every product of every unit, in order) as a dense units × products array.
    func dense(_ cells: DensityCells, units: Int) -> [Double] {
        var values = [Double](repeating: .nan, count: units * headings.count)
        for index in cells.values.indices {
            values[Int(cells.units[index]) * headings.count + Int(cells.products[index])] = cells.values[index]
        }
        return values
    }
}

/// The record table being built.
struct RecordColumns {
    var firm: [String] = [], name: [String] = [], city: [String] = [], ownership: [String] = [], year: [Int64] = []
    var direction: [String] = [], vintage: [String] = [], product: [String] = [], mode: [String] = [], value: [Double] = []

    mutating func append(_ f: CustomsWorld.Firm, _ cityName: String, _ y: Int, _ d: String, _ v: HSVintage, _ code: String, _ m: String, _ amount: Double) {
        firm.append(f.id); name.append(f.name); city.append(cityName); ownership.append(f.ownership); year.append(Int64(y))
        direction.append(d); vintage.append(v.rawValue); product.append(code); mode.append(m); value.append(max(amount, 1))
    }

    func table() throws -> Table {
        try Table([("firm", .categories(firm)), ("name", .categories(name)), ("city", .categories(city)), ("ownership", .categories(ownership)),
                   ("year", Column(int64: year)), ("direction", .categories(direction)), ("hs_vintage", .categories(vintage)),
                   ("product", Column(string: product.map { Optional($0) })), ("mode", .categories(mode)), ("value", Column(double: value))])
    }
}
