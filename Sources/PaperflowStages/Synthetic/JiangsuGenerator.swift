import Foundation
import PaperflowCore
import PaperflowData

/// `synthetic.jiangsu`: shen-2025's Jiangsu records — branch offices (a firm headquartered in
/// one place with a branch in another), patent co-applications between places, and industry ×
/// district employment — with planted structure, since the firm and patent records are not
/// public: Nanjing the hub of branch links (the single core at city level), Nanjing and Suzhou
/// the two hubs of patent links (a dual core), and three groups of industry–district cells
/// (high, middle, low concentration) for the Gaussian mixture to find.
public struct JiangsuGenerator: Stage {
    public static let id = "synthetic.jiangsu"
    public static let version = 1
    static let industries = ["C26 chemicals", "C27 pharmaceuticals", "C29 rubber and plastics", "C30 non-metallic minerals",
                             "C31 ferrous metals", "C33 metal products", "C34 general machinery", "C35 special machinery",
                             "C36 automobiles", "C38 electrical machinery", "C39 computers and electronics", "C40 instruments",
                             "C17 textiles", "C18 apparel", "C13 food processing", "I65 software and IT services"]
    public static let signature = StageSignature(
        summary: "Shen-2025's Jiangsu branch-office links, patent co-applications and industry × district employment, with Nanjing the branch hub and Nanjing + Suzhou the patent hubs.",
        documentation: """
            cities: Jiangsu's 13 prefecture cities (city, part: south, central, north);
            districts: district, city. Branch offices: a firm (industry, size large or SME) with
            its headquarters in one district and a branch in another; HQs are drawn with Nanjing
            weighted hub_weight times a southern city; half of the other cities' branches are in
            Nanjing, the rest anywhere. Patents: two applicant
            places per co-application, one of them Nanjing or Suzhou with probability
            patent_hub_share. Employment: industry × district cells from three planted groups of
            (log employment, location quotient). source, patents_source, employment_source:
            CSVs with the same columns replace each generated table.
            """,
        inputs: [PortSpec("cities", kind: .table, summary: "city, part"), PortSpec("districts", kind: .table, summary: "district, city")],
        outputs: [PortSpec("branches", kind: .table, fileName: "branches.pftable",
                           summary: "firm, industry, size, hq_city, hq_district, branch_city, branch_district"),
                  PortSpec("patents", kind: .table, fileName: "patents.pftable",
                           summary: "year, industry, city_1, district_1, city_2, district_2"),
                  PortSpec("employment", kind: .table, fileName: "employment.pftable", summary: "district, city, industry, employment, group"),
                  PortSpec("truth", kind: .json, fileName: "truth.json", summary: "the planted hubs and groups")],
        params: [
            SyntheticScale.parameter, SyntheticScale.seedParameter, SyntheticScale.sourceParameter,
            ParamSpec("patents_source", .path, default: .string(""), summary: "a CSV of patent co-applications"),
            ParamSpec("employment_source", .path, default: .string(""), summary: "a CSV of industry × district employment"),
            ParamSpec("hub_weight", .double, default: .double(12), summary: "Nanjing's weight as a headquarters city (a southern city: 1.5, others 1)"),
            ParamSpec("patent_hub_share", .double, default: .double(0.8), summary: "share of co-applications with Nanjing or Suzhou as one party"),
        ],
        fileParams: ["source", "patents_source", "employment_source"]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let scale = SyntheticScale(context)
        let cityTable = try context.table("cities"), districtTable = try context.table("districts")
        let cities = try SyntheticSource.texts(cityTable, "city", for: "cities"), parts = try SyntheticSource.texts(cityTable, "part", for: "cities")
        let districts = try SyntheticSource.texts(districtTable, "district", for: "districts")
        let districtCity = try SyntheticSource.texts(districtTable, "city", for: "districts")
        for hub in ["Nanjing", "Suzhou"] where !cities.contains(hub) {
            throw StageFailure("input cities has no \(hub); it needs Jiangsu's 13 prefecture cities")
        }
        let districtsOf = Dictionary(grouping: districts.indices, by: { districtCity[$0] })
        for city in cities where districtsOf[city] == nil { throw StageFailure("input districts has no district of \(city)") }
        var draws = Draws(seed: context.int("seed")!)
        let hubWeight = context.double("hub_weight")!, hubShare = context.double("patent_hub_share")!
        func district(in city: String) -> String { districts[draws.pick(districtsOf[city]!)] }

        // Branch offices.
        let hqWeights = cities.indices.map { cities[$0] == "Nanjing" ? hubWeight : parts[$0] == "south" ? 1.5 : 1.0 }
        var branch: [String: [String]] = [:]
        for name in ["firm", "industry", "size", "hq_city", "hq_district", "branch_city", "branch_district"] { branch[name] = [] }
        for firm in 0..<scale.pick(400, 3000, 30000) {
            let hq = cities[draws.weighted(hqWeights)]
            let industry = draws.pick(Self.industries)
            let size = hq == "Nanjing" ? (draws.chance(0.6) ? "large" : "SME") : hq == "Suzhou" ? (draws.chance(0.15) ? "large" : "SME") : (draws.chance(0.3) ? "large" : "SME")
            for _ in 0..<(1 + draws.index(size == "large" ? 5 : 2)) {
                // A branch in the HQ's own city (no link), in Nanjing (the hub), or anywhere.
                let to = draws.chance(0.25) ? hq : hq != "Nanjing" && draws.chance(0.5) ? "Nanjing" : draws.pick(cities)
                branch["firm"]!.append(String(format: "J%05d", firm + 1)); branch["industry"]!.append(industry); branch["size"]!.append(size)
                branch["hq_city"]!.append(hq); branch["hq_district"]!.append(district(in: hq))
                branch["branch_city"]!.append(to); branch["branch_district"]!.append(district(in: to))
            }
        }
        // Patent co-applications.
        var patents: [String: [String]] = [:], patentYears: [Int64] = []
        for name in ["industry", "city_1", "district_1", "city_2", "district_2"] { patents[name] = [] }
        for _ in 0..<scale.pick(500, 4000, 40000) {
            let first = draws.chance(hubShare) ? (draws.chance(0.5) ? "Nanjing" : "Suzhou") : draws.pick(cities)
            let second = draws.chance(hubShare * 0.5) ? (first == "Nanjing" ? "Suzhou" : "Nanjing") : draws.pick(cities)
            patentYears.append(Int64(2010 + draws.index(11)))
            patents["industry"]!.append(draws.pick(Self.industries))
            patents["city_1"]!.append(first); patents["district_1"]!.append(district(in: first))
            patents["city_2"]!.append(second); patents["district_2"]!.append(district(in: second))
        }
        // Industry × district employment in three planted groups.
        let groupCentres = [(lq: 2.5, log: 9.5), (lq: 1.0, log: 8.0), (lq: 0.3, log: 6.5)]
        var empDistrict: [String] = [], empCity: [String] = [], empIndustry: [String] = [], employment: [Double] = [], groups: [Int64] = []
        for d in districts.indices {
            for industry in Self.industries {
                let g = draws.weighted([0.2, 0.5, 0.3])
                empDistrict.append(districts[d]); empCity.append(districtCity[d]); empIndustry.append(industry); groups.append(Int64(g + 1))
                employment.append(exp(draws.normal(groupCentres[g].log, 0.35)).rounded())
            }
        }
        func table(_ columns: [String: [String]], _ order: [String], leading: [(String, Column)] = []) throws -> Table {
            try Table(leading + order.map { ($0, Column.categories(columns[$0]!)) })
        }
        let branches = try table(branch, ["firm", "industry", "size", "hq_city", "hq_district", "branch_city", "branch_district"])
        let patentTable = try table(patents, ["industry", "city_1", "district_1", "city_2", "district_2"], leading: [("year", Column(int64: patentYears))])
        let employmentTable = try Table([("district", .categories(empDistrict)), ("city", .categories(empCity)), ("industry", .categories(empIndustry)),
                                         ("employment", Column(double: employment)), ("group", Column(int64: groups))])
        let truth: ParamValue = .map(["branch_hub": .string("Nanjing"), "patent_hubs": .list([.string("Nanjing"), .string("Suzhou")]),
                                      "employment_groups": .int(3), "hub_weight": .double(hubWeight), "patent_hub_share": .double(hubShare)])
        return ["branches": try SyntheticSource.table(context, "source", required: ["industry", "hq_city", "hq_district", "branch_city", "branch_district"],
                                                      generated: { branches }).artifact,
                "patents": try SyntheticSource.table(context, "patents_source", required: ["city_1", "district_1", "city_2", "district_2"],
                                                     generated: { patentTable }).artifact,
                "employment": try SyntheticSource.table(context, "employment_source", required: ["district", "city", "industry", "employment"],
                                                        generated: { employmentTable }).artifact,
                "truth": .bytes(Data(JSONText.pretty(truth)))]
    }
}
