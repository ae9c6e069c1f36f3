/// Text for HTML and SVG (XML): the one escape every table, figure and report uses.
public enum Markup {
    /// `&`, `<`, `>` and `"` as entities, so text is safe in element content and in
    /// double-quoted attributes.
    /// Text for a Markdown table cell: pipes escaped.
    public static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|")
    }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
