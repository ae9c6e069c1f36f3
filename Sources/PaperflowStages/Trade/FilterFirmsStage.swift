import Foundation
import PaperflowCore
import PaperflowData

/// `trade.filter-firms`: drops trading intermediaries by name keywords and processing-trade
/// records by trade mode, as liu-zhu-2021 prepares China's customs records (its keyword list is
/// the default), and reports how many firms, records and how much value each rule removed.
public struct FilterFirmsStage: Stage {
    public static let id = "trade.filter-firms"
    public static let version = 1
    /// liu-zhu-2021's list (trade, import-export, export, import, foreign trade, commerce, border
    /// trade, logistics) and its English counterparts for firms registered with English names.
    public static let defaultKeywords = ["贸易", "进出口", "出口", "进口", "外贸", "商贸", "边贸", "物流",
                                         "trade", "trading", "import", "export", "commerce", "logistics"]
    /// China Customs' ordinary trade (一般贸易, code 10): the records liu-zhu-2021 keeps.
    public static let defaultModes = ["10", "一般贸易", "ordinary"]

    public static let signature = StageSignature(
        summary: "Drop trading intermediaries (firm-name keywords) and processing trade (trade mode), reporting what each rule removed.",
        documentation: """
            A firm is an intermediary when any of its names contains a keyword: Chinese keywords
            match anywhere in the name (Chinese has no word breaks), Latin ones match whole words
            regardless of case ("Bright Trading Co." but not "Trademark Ltd."). All the firm's
            records go. Then every record whose trade mode is not in keep_modes goes (liu-zhu
            keeps ordinary trade). Set name: "" or mode: "" to skip a rule; an empty keep_modes
            keeps every mode.
            """,
        inputs: [PortSpec("records", kind: .table, summary: "firm, name, mode, value, ...")],
        outputs: [PortSpec("records", kind: .table, fileName: "filtered.pftable", summary: "the records kept, all columns"),
                  PortSpec("report", kind: .json, fileName: "filter.json", summary: "firms, records and value removed by each rule")],
        params: [
            ParamSpec("firm", .string, default: .string("firm"), summary: "column: the firm identifier"),
            ParamSpec("name", .string, default: .string("name"), summary: "column: the firm's name (\"\": no name rule)"),
            ParamSpec("keywords", .list(.string), default: .list(defaultKeywords.map(ParamValue.string)), summary: "name keywords of intermediaries"),
            ParamSpec("mode", .string, default: .string("mode"), summary: "column: the trade mode (\"\": no mode rule)"),
            ParamSpec("keep_modes", .list(.string), default: .list(defaultModes.map(ParamValue.string)), summary: "trade modes to keep"),
            ParamSpec("value", .string, default: .string("value"), summary: "column: the trade value (for the report)"),
        ]
    )

    public init() {}

    public func run(_ context: StageContext) throws -> [String: Artifact] {
        let table = try context.table("records")
        let (firmCodes, firmLevels) = try table.column(context.string("firm")!, for: "firm").levelCodes()
        let values = try table.numbers(context.string("value")!, for: "value")
        var kept = [Bool](repeating: true, count: table.rowCount)
        var rules: [ParamValue] = []
        func tally(_ rule: String, removed: [Int], details: [String: ParamValue]) {
            let firmsBefore = Set(removed.map { firmCodes[$0] })
            let firmsLeft = Set((0..<table.rowCount).filter { kept[$0] }.map { firmCodes[$0] })
            rules.append(.map(details.merging([
                "rule": .string(rule), "records": .int(Int64(removed.count)), "value": .double(removed.reduce(0) { $0 + (values[$1].isNaN ? 0 : values[$1]) }),
                "firms": .int(Int64(firmsBefore.subtracting(firmsLeft).count)),
            ]) { $1 }))
        }

        let nameColumn = context.string("name")!
        if !nameColumn.isEmpty {
            let matcher = KeywordMatcher(context.strings("keywords"))
            let (nameCodes, names) = try table.column(nameColumn, for: "name").levelCodes()
            let hits = names.map { matcher.match($0.description) }
            var intermediary = [String?](repeating: nil, count: firmLevels.count)
            for row in 0..<table.rowCount where nameCodes[row] >= 0 && firmCodes[row] >= 0 {
                if let keyword = hits[Int(nameCodes[row])], intermediary[Int(firmCodes[row])] == nil { intermediary[Int(firmCodes[row])] = keyword }
            }
            let removed = (0..<table.rowCount).filter { firmCodes[$0] >= 0 && intermediary[Int(firmCodes[$0])] != nil }
            for row in removed { kept[row] = false }
            var byKeyword: [String: Int64] = [:]
            for keyword in intermediary.compactMap({ $0 }) { byKeyword[keyword, default: 0] += 1 }
            var listed = Set<String>()
            let examples = removed.compactMap { nameCodes[$0] >= 0 ? names[Int(nameCodes[$0])].description : nil }.filter { listed.insert($0).inserted }
            tally("names", removed: removed, details: ["firms_by_keyword": .map(byKeyword.mapValues { .int($0) }),
                                                       "examples": .list(examples.prefix(10).map { .string($0) })])
        }
        let modeColumn = context.string("mode")!, keepModes = Set(context.strings("keep_modes"))
        if !modeColumn.isEmpty && !keepModes.isEmpty {
            let (modeCodes, modes) = try table.column(modeColumn, for: "mode").levelCodes()
            let keepMode = modes.map { keepModes.contains($0.description.trimmingCharacters(in: .whitespaces)) }
            let removed = (0..<table.rowCount).filter { kept[$0] && !(modeCodes[$0] >= 0 && keepMode[Int(modeCodes[$0])]) }
            for row in removed { kept[row] = false }
            var byMode: [String: Int64] = [:]
            for row in removed { byMode[modeCodes[row] >= 0 ? modes[Int(modeCodes[row])].description : "(missing)", default: 0] += 1 }
            tally("mode", removed: removed, details: ["records_by_mode": .map(byMode.mapValues { .int($0) })])
        }
        let keptRows = (0..<table.rowCount).filter { kept[$0] }
        let report: ParamValue = .map([
            "records_in": .int(Int64(table.rowCount)), "records_out": .int(Int64(keptRows.count)),
            "firms_in": .int(Int64(Set(firmCodes).count)), "firms_out": .int(Int64(Set(keptRows.map { firmCodes[$0] }).count)),
            "value_in": .double(values.reduce(0) { $0 + ($1.isNaN ? 0 : $1) }), "value_out": .double(keptRows.reduce(0) { $0 + (values[$1].isNaN ? 0 : values[$1]) }),
            "rules": .list(rules),
        ])
        return ["records": table.take(keptRows).artifact, "report": .bytes(Data(JSONText.pretty(report)))]
    }
}

/// Firm-name keywords: Chinese (any non-ASCII keyword) as substrings, Latin as whole words
/// ignoring case.
struct KeywordMatcher {
    let substrings: [String]
    let words: Set<String>

    init(_ keywords: [String]) {
        substrings = keywords.filter { !$0.allSatisfy(\.isASCII) }
        words = Set(keywords.filter { $0.allSatisfy(\.isASCII) }.map { $0.lowercased() })
    }

    /// The first keyword `name` contains, if any.
    func match(_ name: String) -> String? {
        if let hit = substrings.first(where: { name.contains($0) }) { return hit }
        return name.lowercased().split { !$0.isLetter && !$0.isNumber || !$0.isASCII }.map(String.init).first { words.contains($0) }
    }
}
