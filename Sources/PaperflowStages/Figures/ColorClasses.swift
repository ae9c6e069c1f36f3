import Foundation
import PaperflowCore
import PaperflowData

/// A classed colour scale for maps: the values cut into classes at breaks, each class a colour
/// from ColorBrewer (Brewer, Harrower & The Pennsylvania State University; Apache 2.0) —
/// YlGnBu for one-signed data, RdBu for data on both sides of zero, red below and blue above.
/// Classes are intervals closed on the right, the first closed on both sides, as R's
/// `cut(include.lowest = TRUE)` and classInt's `classIntervals(style = "quantile")` (type-7
/// quantiles) make them.
struct ColorClasses {
    /// The breaks between classes, ascending (classes − 1 of them).
    let breaks: [Double]
    let colors: [String]
    let diverging: Bool
    /// The smallest and largest value classed (the outer ends of the first and last class).
    let low: Double, high: Double

    static let sequential: [Int: [String]] = [
        1: ["#41b6c4"],
        2: ["#edf8b1", "#2c7fb8"],
        3: ["#edf8b1", "#7fcdbb", "#2c7fb8"],
        4: ["#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"],
        5: ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
        6: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"],
        7: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
        8: ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
        9: ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"],
    ]
    /// RdBu with an even number of classes, keyed by classes per side.
    static let divergingSides: [Int: [String]] = [
        1: ["#ef8a62", "#67a9cf"],
        2: ["#ca0020", "#f4a582", "#92c5de", "#0571b0"],
        3: ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"],
        4: ["#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac"],
        5: ["#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061"],
    ]

    enum Palette: String { case auto, sequential, diverging }

    /// Classes from the parameters: fixed `breaks`, or `classes` quantile classes (per side of
    /// zero when diverging: ⌈classes/2⌉ below and above).
    init(values: [Double], classes: Int, breaks fixed: [Double], palette: Palette) throws {
        let sorted = values.sorted()
        guard let low = sorted.first, let high = sorted.last else { throw StageFailure("no value to class") }
        self.low = low
        self.high = high
        let bothSigns = low < 0 && high > 0
        if !fixed.isEmpty {
            guard zip(fixed, fixed.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw StageFailure("breaks must rise strictly, e.g. [0.1, 0.2, 0.3]; they are \(fixed.map { SVGDocument.number($0) }.joined(separator: ", "))")
            }
            breaks = fixed
            diverging = palette == .diverging || (palette == .auto && bothSigns && fixed.contains(0))
            if diverging && !fixed.contains(0) { throw StageFailure("a diverging palette needs 0 among the breaks, so colour changes at zero") }
        } else {
            guard (1...9).contains(classes) else { throw StageFailure("classes must be between 1 and 9; it is \(classes)") }
            diverging = palette == .diverging || (palette == .auto && bothSigns)
            if diverging {
                let side = max(1, (classes + 1) / 2)
                let below = sorted.filter { $0 < 0 }, above = sorted.filter { $0 >= 0 }
                breaks = Self.quantileBreaks(below, side) + (below.isEmpty || above.isEmpty ? [] : [0]) + Self.quantileBreaks(above, side)
            } else {
                breaks = Self.quantileBreaks(sorted, classes)
            }
        }
        let count = breaks.count + 1
        if diverging {
            let zero = breaks.firstIndex(of: 0) ?? (high < 0 ? breaks.count : -1)
            let belowClasses = zero + 1, aboveClasses = count - belowClasses
            let side = max(belowClasses, aboveClasses)
            guard let ramp = Self.divergingSides[side] else { throw StageFailure("a diverging palette has at most 5 classes on each side of zero; there are \(side)") }
            colors = Array(ramp[(side - belowClasses)..<side]) + Array(ramp[side..<(side + aboveClasses)])
        } else {
            guard let ramp = Self.sequential[count] else { throw StageFailure("at most 9 classes; there are \(count)") }
            colors = ramp
        }
    }

    /// Type-7 quantiles at 1/k … (k−1)/k, repeats dropped (ties leave fewer classes).
    static func quantileBreaks(_ sorted: [Double], _ classes: Int) -> [Double] {
        guard sorted.count > 1, classes > 1 else { return [] }
        var breaks: [Double] = []
        for step in 1..<classes {
            let cut = Quantiles.type7(sorted: sorted, Double(step) / Double(classes))
            if cut > sorted.first!, cut < sorted.last!, breaks.last != cut { breaks.append(cut) }
        }
        return breaks
    }

    /// The class of a value: the first whose upper break is at least the value.
    func index(of value: Double) -> Int { breaks.firstIndex { value <= $0 } ?? breaks.count }

    /// Each class's ends: the data's extremes outside, the breaks within.
    var intervals: [(lower: Double, upper: Double)] {
        let ends = [low] + breaks + [high]
        return (0..<colors.count).map { (ends[$0], ends[$0 + 1]) }
    }

    /// Decimals that tell the breaks apart: two significant digits of the span, or `digits`.
    func decimals(_ digits: Int) -> Int {
        if digits >= 0 { return digits }
        let span = high - low
        return span > 0 ? min(6, max(0, 1 - Int(log10(span).rounded(.down)))) : 2
    }
}
