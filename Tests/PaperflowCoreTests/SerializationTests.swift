import Foundation
import PaperflowCore
import Testing

@Suite("Record formats")
struct SerializationTests {
    static let value: ParamValue = .map([
        "text": .string("南京 \"quoted\" back\\slash\ttab\nnew\u{1}line /slash"),
        "int": .int(-42), "double": .double(0.1), "tiny": .double(1e-300), "big": .double(1.5e300),
        "flags": .list([.bool(true), .bool(false), .null]), "empty_list": .list([]), "empty_map": .map([:]),
        "nested": .map(["b": .int(2), "a": .list([.map(["z": .string("")])])]),
    ])

    @Test("the JSON writer's output is what Foundation's decoder reads back, value for value")
    func roundTrip() throws {
        for bytes in [JSONText.compact(Self.value), JSONText.pretty(Self.value)] {
            let decoded = try JSONDecoder().decode(ParamValue.self, from: Data(bytes))
            #expect(decoded == Self.value)
        }
    }

    @Test("compact and pretty forms are exact, with keys sorted")
    func exactBytes() {
        let small: ParamValue = .map(["b": .list([.int(1), .string("x\"y")]), "a": .map([:]), "c": .double(2.5)])
        #expect(String(decoding: JSONText.compact(small), as: UTF8.self) == #"{"a":{},"b":[1,"x\"y"],"c":2.5}"#)
        #expect(String(decoding: JSONText.pretty(small), as: UTF8.self) == """
            {
              "a": {},
              "b": [
                1,
                "x\\"y"
              ],
              "c": 2.5
            }

            """)
        #expect(String(decoding: JSONText.compact(.string("\u{1F}")), as: UTF8.self) == #""\u001f""#)
        #expect(String(decoding: JSONText.compact(.double(.infinity)), as: UTF8.self) == #""inf""#)
    }

    @Test("action records survive their line format, including file names with spaces")
    func actionRecords() {
        let record = ActionRecord(
            key: Digest(hex: String(repeating: "1f", count: 32))!, stage: "model[logit]", workflow: "liu-zhu-2021",
            outputs: ["fit": OutputRecord(digest: Digest(hex: String(repeating: "a0", count: 32))!, size: 1234, fileName: "model fit.json"),
                      "log": OutputRecord(digest: Digest(hex: String(repeating: "0b", count: 32))!, size: 0, fileName: "log")],
            runID: "20261122T150000.000Z-42", seconds: 0.125)
        #expect(ActionRecord(text: Substring(record.text)) == record)
        #expect(ActionRecord(text: "paperflow-action 1\nkey sha256:zz\n") == nil)
        #expect(ActionRecord(text: Substring(record.text.prefix(40))) == nil)
    }
}
