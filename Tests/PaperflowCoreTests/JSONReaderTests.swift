import PaperflowCore
import Testing

/// The strict JSON reader behind plugin replies: values as RFC 8259 defines them, and the line
/// and column of the first problem.
@Suite("JSON reader")
struct JSONReaderTests {
    @Test("objects, arrays, escapes (with a surrogate pair), integers and doubles")
    func values() throws {
        let text = #"{"a": [1, -2.5, 3e2, true, null], "b": "x\n\u00e9\ud83d\ude00\"", "c": {}, "a2": 9223372036854775807}"#
        let value = try JSONReader.parse(Array(text.utf8))
        #expect(value == .map([
            "a": .list([.int(1), .double(-2.5), .double(300), .bool(true), .null]),
            "b": .string("x\né😀\""), "c": .map([:]), "a2": .int(Int64.max),
        ]))
        #expect(try JSONReader.parse(Array(" 18446744073709551616 ".utf8)) == .double(18446744073709551616))
    }

    @Test("each malformed document is reported at its line and column", arguments: [
        ("{\"a\": 1,\n}", 2, 1, "expected a key in double quotes, found '}'"),
        ("{\"a\" 1}", 1, 6, "expected ':' after the key, found '1'"),
        ("[1, 2", 1, 6, "expected ',' or ']', found end of file"),
        ("{\"a\": tru}", 1, 10, "expected 'true', found '}'"),
        ("{\"é\": 01}", 1, 7, "a number may not start with 0"),
        ("\"abc", 1, 5, "a string is not closed before the end of file"),
        ("{} {}", 1, 4, "unexpected '{' after the document's end"),
        ("", 1, 1, "expected a value, found end of file"),
    ])
    func failures(text: String, line: Int, column: Int, message: String) {
        #expect(throws: JSONReader.Failure(line: line, column: column, message: message)) { try JSONReader.parse(Array(text.utf8)) }
    }
}
