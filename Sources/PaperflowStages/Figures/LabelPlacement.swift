import Foundation
import PaperflowCore

/// Labels beside marks without overlaps: each label tries the right, left, top and bottom of its
/// mark in turn and takes the first place that stays inside the plot and clear of every mark and
/// every label placed before it; a label with no free place is left out (and counted). Widths are
/// estimated per character class, generously, so the boxes the browser draws fit inside them.
struct LabelPlacement {
    struct LabelBox {
        var x0, y0, x1, y1: Double
        func overlaps(_ other: LabelBox) -> Bool { x0 < other.x1 && other.x0 < x1 && y0 < other.y1 && other.y0 < y1 }
    }

    /// Where a label goes: its anchor point and `text-anchor`.
    struct Place {
        var x, y: Double
        var anchor: String
    }

    let bounds: LabelBox
    let fontSize: Double
    private(set) var occupied: [LabelBox] = []
    private(set) var leftOut: [String] = []

    init(left: Double, top: Double, right: Double, bottom: Double, fontSize: Double = 11) {
        bounds = LabelBox(x0: left, y0: top, x1: right, y1: bottom)
        self.fontSize = fontSize
    }

    /// Marks the area of a circle as taken.
    mutating func occupy(circleAt x: Double, _ y: Double, radius: Double) {
        occupied.append(LabelBox(x0: x - radius, y0: y - radius, x1: x + radius, y1: y + radius))
    }

    /// A free place for `text` beside the circle at (x, y), which is then taken; nil when every
    /// candidate collides.
    mutating func place(_ text: String, besideCircleAt x: Double, _ y: Double, radius: Double) -> Place? {
        // The box a CJK-capable font gives a line: 1.16 em above the baseline, 0.29 em below
        // (Noto Sans CJK's ascent and descent, the largest of the fonts the figures name).
        let width = Self.width(of: text, fontSize: fontSize), ascent = 1.16 * fontSize, descent = 0.29 * fontSize, gap = radius + 3
        let height = ascent + descent
        let candidates: [(Place, LabelBox)] = [
            (Place(x: x + gap, y: y + height / 2 - descent, anchor: "start"), LabelBox(x0: x + gap, y0: y - height / 2, x1: x + gap + width, y1: y + height / 2)),
            (Place(x: x - gap, y: y + height / 2 - descent, anchor: "end"), LabelBox(x0: x - gap - width, y0: y - height / 2, x1: x - gap, y1: y + height / 2)),
            (Place(x: x, y: y - gap - descent, anchor: "middle"), LabelBox(x0: x - width / 2, y0: y - gap - height, x1: x + width / 2, y1: y - gap)),
            (Place(x: x, y: y + gap + ascent, anchor: "middle"), LabelBox(x0: x - width / 2, y0: y + gap, x1: x + width / 2, y1: y + gap + height)),
        ]
        for (place, box) in candidates
        where box.x0 >= bounds.x0 && box.x1 <= bounds.x1 && box.y0 >= bounds.y0 && box.y1 <= bounds.y1
            && !occupied.contains(where: { $0.overlaps(box) }) {
            occupied.append(box)
            return place
        }
        leftOut.append(text)
        return nil
    }

    /// Tells the user which labels had no free place (`what`: "label", "node name").
    func reportLeftOut(_ context: StageContext, what: String = "label") {
        guard !leftOut.isEmpty else { return }
        context.report(.note, "\(leftOut.count) \(what)(s) left out for want of a free place: \(leftOut.prefix(8).joined(separator: ", "))")
    }

    /// A generous width for `text`: em fractions by character class (wide letters, capitals,
    /// narrow letters, CJK at a full em), plus 8%.
    static func width(of text: String, fontSize: Double) -> Double {
        var ems = 0.0
        for scalar in text.unicodeScalars {
            let character = Character(scalar)
            switch scalar.value {
            case 0x2E80...: ems += 1.0
            default:
                if "mwMW@".contains(character) { ems += 0.95 }
                else if "iljtfrI.,:;'!|() ".contains(character) { ems += 0.38 }
                else if character.isUppercase { ems += 0.75 }
                else { ems += 0.62 }
            }
        }
        return ems * fontSize * 1.08 + 2
    }
}
