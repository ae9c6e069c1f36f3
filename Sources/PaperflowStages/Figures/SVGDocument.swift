import Foundation

/// A minimal SVG writer: elements appended in drawing order, attributes escaped, numbers printed
/// with two decimals so the same figure is the same bytes on every machine.
struct SVGDocument {
    let width: Double
    let height: Double
    private(set) var body: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func number(_ value: Double) -> String {
        let text = String(format: "%.2f", value)
        return text == "-0.00" ? "0.00" : text
    }

    /// Appends `<name attributes/>`, or with text content when given.
    mutating func element(_ name: String, _ attributes: KeyValuePairs<String, Any>, text: String? = nil) {
        var line = "<\(name)"
        for (key, value) in attributes {
            let rendered: String
            switch value {
            case let number as Double: rendered = Self.number(number)
            case let number as Int: rendered = String(number)
            default: rendered = Markup.escape("\(value)")
            }
            line += " \(key)=\"\(rendered)\""
        }
        line += text.map { ">\(Markup.escape($0))</\(name)>" } ?? "/>"
        body.append(line)
    }

    /// Opens a group; close it with `close()`.
    mutating func open(_ attributes: KeyValuePairs<String, String>) {
        body.append("<g" + attributes.map { " \($0.key)=\"\(Markup.escape($0.value))\"" }.joined() + ">")
    }

    mutating func close() { body.append("</g>") }

    /// A polyline or polygon path through `points`.
    static func path(_ points: [(Double, Double)], closed: Bool = false) -> String {
        points.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(number($0.element.0)),\(number($0.element.1))" }.joined(separator: " ")
            + (closed ? " Z" : "")
    }

    /// The document: a white background, the figure's title as its `<title>`, then the marks.
    func rendered(title: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.number(width))" height="\(Self.number(height))" \
        viewBox="0 0 \(Self.number(width)) \(Self.number(height))" font-family="\(FigureFrame.fontFamily)" font-size="12">
        <title>\(Markup.escape(title))</title>
        <rect class="background" x="0" y="0" width="\(Self.number(width))" height="\(Self.number(height))" fill="#ffffff"/>
        \(body.joined(separator: "\n"))
        </svg>

        """
    }
}

/// A map from data to pixels with "nice" ticks. Linear: steps of 1, 2 or 5 × 10^k, the domain
/// padded out to whole steps, so the first and last ticks are its ends. Logarithmic: the domain
/// (kept as log10 of the values) padded to whole decades, ticks at 1, 2, 5 × 10^k across up to
/// two decades and at each power of ten beyond.
struct LinearScale {
    /// The domain in axis units: the values, or their log10 on a logarithmic scale.
    var domain: ClosedRange<Double>
    var range: (Double, Double)
    /// The distance between ticks (axis units).
    let step: Double
    let logarithmic: Bool

    /// A scale over `values` (padded to nice bounds), optionally including zero.
    init(covering values: [Double], range: (Double, Double), includeZero: Bool = false) {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if includeZero { low = min(low, 0); high = max(high, 0) }
        if low == high { low -= 1; high += 1 }
        step = Self.step(for: high - low)
        domain = (low / step).rounded(.down) * step...(high / step).rounded(.up) * step
        self.range = range
        logarithmic = false
    }

    /// A logarithmic scale over the positive `values`.
    init(logCovering values: [Double], range: (Double, Double)) {
        let logs = values.filter { $0 > 0 }.map { log10($0) }
        let low = (logs.min() ?? 0).rounded(.down)
        var high = (logs.max() ?? 1).rounded(.up)
        if high == low { high += 1 }
        domain = low...high
        step = 1
        self.range = range
        logarithmic = true
    }

    static func step(for span: Double, count: Double = 5) -> Double {
        let raw = span / count, magnitude = pow(10, (log10(raw)).rounded(.down)), fraction = raw / magnitude
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
    }

    /// The pixel position of a data value.
    func callAsFunction(_ value: Double) -> Double {
        let axis = logarithmic ? log10(value) : value
        return range.0 + (axis - domain.lowerBound) / (domain.upperBound - domain.lowerBound) * (range.1 - range.0)
    }

    /// The tick values (data units): every multiple of the step across the domain, ends
    /// included; on a logarithmic scale the decades (with 2 and 5 between them over a short span).
    var ticks: [Double] {
        let first = Int((domain.lowerBound / step).rounded()), last = Int((domain.upperBound / step).rounded())
        guard logarithmic else { return (first...last).map { Double($0) * step } }
        let multiples: [Double] = last - first <= 2 ? [1, 2, 5] : [1]
        return (first...last).flatMap { decade in multiples.map { $0 * pow(10, Double(decade)) } }
            .filter { log10($0) <= domain.upperBound + 1e-9 }
    }

    /// A tick's label: as few decimals as the step needs; on a logarithmic scale plain numbers
    /// from 0.001 to 10⁶ and 1e±k beyond.
    func label(_ value: Double) -> String {
        if logarithmic {
            let decade = Int(log10(value).rounded(.down))
            guard (-3...6).contains(decade) else { return String(format: "%.0fe%d", value / pow(10, Double(decade)), decade) }
            return String(format: "%.\(max(0, -decade))f", value)
        }
        let decimals = max(0, Int(-log10(step).rounded(.down)))
        return String(format: "%.\(decimals)f", value == 0 ? 0 : value)
    }
}
