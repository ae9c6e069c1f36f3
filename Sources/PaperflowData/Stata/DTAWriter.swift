import Foundation

/// Writes a table as a Stata .dta file of format 118 (Stata 14–18), for co-authors who stay in
/// Stata, in the layout of StataCorp's `help dta`: int64 as long (double where a value is beyond
/// long's range, which Stata cannot hold exactly above 2^53), double as double, bool as byte,
/// text as strN (strL past 2,045 bytes), categories as long codes 1…k with a value label of the
/// same name, so `io.dta` — and Stata, pandas or haven — read back the labels. Missing numbers are
/// `.`; a missing text is written empty (Stata has no missing string) and counted. No timestamp,
/// so the same table is the same bytes.
public enum DTAWriter {
    /// What writing had to change, one line per column affected.
    public struct Notes: Sendable, Equatable {
        public var lines: [String] = []
    }

    /// Stata's reserved words, which cannot name a variable.
    static let reserved: Set<String> = ["_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n", "_N",
                                        "_pi", "_pred", "_rc", "_skip", "strL", "using", "with"]

    /// The file's bytes.
    /// - Throws: `DTAError` naming a column whose name Stata cannot take, with the fix.
    public static func data(_ table: Table, label: String = "") throws -> (Data, Notes) {
        var notes = Notes()
        for name in table.names {
            guard name.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_]{0,31}/) != nil, !reserved.contains(name) else {
                throw DTAError(path: "table", offset: nil, message: "column '\(name)' cannot be a Stata variable name (letters, digits and _, not starting with a digit, at most 32 characters, not a reserved word); rename it first with data.derive (\"new_name = \(name)\")")
            }
        }
        struct ColumnPlan { var type: StataType; var format: String; var labelName: String }
        var plans: [ColumnPlan] = [], labels: [(String, [String])] = []
        for (name, column) in zip(table.names, table.columns) {
            switch column.type {
            case .int64:
                let values = (0..<column.count).filter { !column.isMissing($0) }.compactMap { row -> Int64? in
                    if case let .int64(v) = column[row] { return v }
                    return nil
                }
                if values.allSatisfy({ (-2_147_483_647...2_147_483_620).contains($0) }) {
                    plans.append(ColumnPlan(type: .long, format: "%12.0g", labelName: ""))
                } else {
                    plans.append(ColumnPlan(type: .double, format: "%10.0g", labelName: ""))
                    notes.lines.append("\(name): integers beyond Stata's long written as double")
                }
            case .double: plans.append(ColumnPlan(type: .double, format: "%10.0g", labelName: ""))
            case .bool: plans.append(ColumnPlan(type: .byte, format: "%8.0g", labelName: ""))
            case .string:
                let widest = (0..<column.count).map { column.isMissing($0) ? 0 : column[$0].description.utf8.count }.max() ?? 0
                plans.append(widest > 2045 ? ColumnPlan(type: .strL, format: "%9s", labelName: "") : ColumnPlan(type: .str(max(widest, 1)), format: "%\(max(widest, 1))s", labelName: ""))
            case .category:
                var levels: [String] = []
                var seen: Set<String> = []
                for row in 0..<column.count where !column.isMissing(row) {
                    let text = column[row].description
                    if seen.insert(text).inserted { levels.append(text) }
                }
                plans.append(ColumnPlan(type: .long, format: "%12.0g", labelName: name))
                labels.append((name, levels))
            }
            let missingText = (column.type == .string) ? (0..<column.count).filter(column.isMissing).count : 0
            if missingText > 0 { notes.lines.append("\(name): \(missingText) missing text value(s) written empty (Stata has no missing string)") }
        }

        var out = ByteWriter()
        out.tag("<stata_dta><header><release>118</release><byteorder>LSF</byteorder><K>")
        out.u16(UInt16(table.names.count))
        out.tag("</K><N>")
        out.u64(UInt64(table.rowCount))
        out.tag("</N><label>")
        let labelBytes = Array(label.utf8.prefix(80))
        out.u16(UInt16(labelBytes.count))
        out.bytes(labelBytes)
        out.tag("</label><timestamp>")
        out.u8(0)
        out.tag("</timestamp></header>")
        var map = [UInt64](repeating: 0, count: 14)
        map[1] = UInt64(out.count)
        out.tag("<map>")
        let mapAt = out.count
        for _ in 0..<14 { out.u64(0) }
        out.tag("</map>")
        map[2] = UInt64(out.count)
        out.tag("<variable_types>")
        for plan in plans { out.u16(UInt16(plan.type.code)) }
        out.tag("</variable_types>")
        map[3] = UInt64(out.count)
        out.tag("<varnames>")
        for name in table.names { out.fixed(name, 129) }
        out.tag("</varnames>")
        map[4] = UInt64(out.count)
        out.tag("<sortlist>")
        for _ in 0...table.names.count { out.u16(0) }
        out.tag("</sortlist>")
        map[5] = UInt64(out.count)
        out.tag("<formats>")
        for plan in plans { out.fixed(plan.format, 57) }
        out.tag("</formats>")
        map[6] = UInt64(out.count)
        out.tag("<value_label_names>")
        for plan in plans { out.fixed(plan.labelName, 129) }
        out.tag("</value_label_names>")
        map[7] = UInt64(out.count)
        out.tag("<variable_labels>")
        for _ in plans { out.fixed("", 321) }
        out.tag("</variable_labels>")
        map[8] = UInt64(out.count)
        out.tag("<characteristics></characteristics>")
        map[9] = UInt64(out.count)
        out.tag("<data>")
        var strls: [(v: Int, o: Int, text: String)] = []
        let levelIndex = Dictionary(uniqueKeysWithValues: labels.map { name, levels in (name, Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0 + 1) })) })
        for row in 0..<table.rowCount {
            for (index, (plan, column)) in zip(plans, table.columns).enumerated() {
                let missing = column.isMissing(row)
                switch plan.type {
                case .long:
                    if missing { out.u32(UInt32(bitPattern: Int32(StataMissing.longBase))); continue }
                    if column.type == .category {
                        out.u32(UInt32(bitPattern: Int32(levelIndex[table.names[index]]![column[row].description]!)))
                    } else {
                        guard case let .int64(v) = column[row] else { continue }
                        out.u32(UInt32(bitPattern: Int32(v)))
                    }
                case .byte:
                    out.u8(missing ? UInt8(StataMissing.byteBase) : (column[row] == .bool(true) ? 1 : 0))
                case .double:
                    if missing { out.u64(StataMissing.doubleBase); continue }
                    let value: Double
                    switch column[row] {
                    case let .double(v): value = v
                    case let .int64(v): value = Double(v)
                    default: value = .nan
                    }
                    // A NaN or infinity has no Stata value: written as missing.
                    out.u64(value.isFinite ? value.bitPattern : StataMissing.doubleBase)
                case let .str(width):
                    // A strN cell is exactly N bytes, NUL-padded when shorter (no terminator when full).
                    let text = Array((missing ? "" : column[row].description).utf8)
                    out.bytes(text + [UInt8](repeating: 0, count: width - text.count))
                case .strL:
                    let text = missing ? "" : column[row].description
                    if text.isEmpty { out.u64(0); continue }
                    strls.append((index + 1, row + 1, text))
                    out.u16(UInt16(index + 1))
                    out.u48(UInt64(row + 1))
                default:
                    break
                }
            }
        }
        out.tag("</data>")
        map[10] = UInt64(out.count)
        out.tag("<strls>")
        for (v, o, text) in strls {
            out.tag("GSO")
            out.u32(UInt32(v))
            out.u64(UInt64(o))
            out.u8(130)
            let bytes = Array(text.utf8) + [0]
            out.u32(UInt32(bytes.count))
            out.bytes(bytes)
        }
        out.tag("</strls>")
        map[11] = UInt64(out.count)
        out.tag("<value_labels>")
        for (name, levels) in labels {
            var offsets: [UInt32] = [], text: [UInt8] = []
            for level in levels { offsets.append(UInt32(text.count)); text += Array(level.utf8) + [0] }
            out.tag("<lbl>")
            out.u32(UInt32(8 + 8 * levels.count + text.count))
            out.fixed(name, 129)
            out.bytes([0, 0, 0])
            out.u32(UInt32(levels.count))
            out.u32(UInt32(text.count))
            for offset in offsets { out.u32(offset) }
            for code in levels.indices { out.u32(UInt32(code + 1)) }
            out.bytes(text)
            out.tag("</lbl>")
        }
        out.tag("</value_labels>")
        map[12] = UInt64(out.count)
        out.tag("</stata_dta>")
        map[13] = UInt64(out.count)
        for (index, offset) in map.enumerated() { out.set(u64: offset, at: mapAt + 8 * index) }
        return (Data(out.buffer), notes)
    }
}

/// Little-endian fields appended to a byte buffer.
struct ByteWriter {
    var buffer: [UInt8] = []
    var count: Int { buffer.count }
    mutating func tag(_ text: String) { buffer += Array(text.utf8) }
    mutating func bytes(_ bytes: [UInt8]) { buffer += bytes }
    mutating func u8(_ value: UInt8) { buffer.append(value) }
    mutating func u16(_ value: UInt16) { for i in 0..<2 { buffer.append(UInt8(truncatingIfNeeded: value >> (8 * i))) } }
    mutating func u32(_ value: UInt32) { for i in 0..<4 { buffer.append(UInt8(truncatingIfNeeded: value >> (8 * i))) } }
    mutating func u48(_ value: UInt64) { for i in 0..<6 { buffer.append(UInt8(truncatingIfNeeded: value >> (8 * i))) } }
    mutating func u64(_ value: UInt64) { for i in 0..<8 { buffer.append(UInt8(truncatingIfNeeded: value >> (8 * i))) } }
    /// Text in a NUL-padded field of `width` bytes (cut at a character boundary to fit).
    mutating func fixed(_ text: String, _ width: Int) {
        var bytes = Array(text.utf8)
        if bytes.count >= width {
            var cut = String(text.utf8.prefix(width - 1)) ?? ""
            while cut.utf8.count >= width { cut.removeLast() }
            bytes = Array(cut.utf8)
        }
        buffer += bytes + [UInt8](repeating: 0, count: width - bytes.count)
    }
    mutating func set(u64 value: UInt64, at offset: Int) {
        for i in 0..<8 { buffer[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
}
