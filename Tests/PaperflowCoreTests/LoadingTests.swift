import Foundation
import PaperflowCore
import PaperflowTestSupport
import Testing

@Suite("Loading workflows")
struct LoadingTests {
    static func load(_ text: String, overrides: [String] = []) throws -> Workflow {
        let parsed = try overrides.enumerated().map { try Override(parsing: $1, index: $0 + 1) }
        return try WorkflowLoader().load(text: text, file: "w.yaml", overrides: parsed)
    }

    static func params(of text: String, stage: String = "s") throws -> [String: ParamValue] {
        let workflow = try load(text)
        let spec = workflow.stages.first { $0.name == stage }!
        return Dictionary(uniqueKeysWithValues: spec.parameters.map { ($0.name, $0.value) })
    }

    @Test("YAML 1.2 scalars: only true/false are booleans, quoted scalars stay strings")
    func scalars() throws {
        let params = try Self.params(of: """
            workflow: w
            stages:
              s:
                uses: test.constant@1
                with:
                  country: NO
                  yes_word: yes
                  on_word: on
                  flag: true
                  quoted_true: "true"
                  code: "010110"
                  plain_code: 010110
                  hex: 0x1F
                  float: 1.5e3
                  empty: ~
                  single: 'NO'
            """)
        #expect(params["country"] == .string("NO"))
        #expect(params["yes_word"] == .string("yes"))
        #expect(params["on_word"] == .string("on"))
        #expect(params["flag"] == .bool(true))
        #expect(params["quoted_true"] == .string("true"))
        #expect(params["code"] == .string("010110"))
        #expect(params["plain_code"] == .int(10110))
        #expect(params["hex"] == .int(31))
        #expect(params["float"] == .double(1500))
        #expect(params["empty"] == .null)
        #expect(params["single"] == .string("NO"))
    }

    @Test("${params.NAME} keeps the parameter's type when it is the whole value and splices text otherwise")
    func substitution() throws {
        let params = try Self.params(of: """
            workflow: w
            params:
              years: [2002, 2016]
              seed: 7
              region: East
            stages:
              s:
                uses: test.constant@1
                with:
                  years: ${params.years}
                  seed: ${params.seed}
                  label: "seed-${params.seed}-${params.region}"
            """)
        #expect(params["years"] == .list([.int(2002), .int(2016)]))
        #expect(params["seed"] == .int(7))
        #expect(params["label"] == .string("seed-7-East"))
    }

    @Test("--set overrides params, a stage's plugin and its parameters, with typed values")
    func overrides() throws {
        let text = """
            workflow: w
            params:
              seed: 7
            stages:
              s:
                uses: test.constant@1
                with: {value: "${params.seed}", other: 1}
              t:
                uses: test.parity@1
                with: {value: 1}
            """
        let workflow = try Self.load(text, overrides: [
            "params.seed=11", "stages.t.uses=test.constant@2", "stages.t.with.value=[1, \"a\"]", "stages.s.with.new=x",
        ])
        let s = workflow.stages[0], t = workflow.stages[1]
        #expect(s.parameters.first { $0.name == "value" }?.value == .int(11))
        #expect(s.parameters.first { $0.name == "new" }?.value == .string("x"))
        #expect(t.uses.value == PluginReference(id: "test.constant", major: 2))
        #expect(t.uses.location == SourceLocation(file: "--set", line: 2, column: 15))
        #expect(t.parameters.first { $0.name == "value" }?.value == .list([.int(1), .string("a")]))
    }

    @Test("${matrix.NAME} in a matrix stage's parameters is each member's value, shell-quoted in a shell command's form")
    func matrixValueReferences() throws {
        let workflow = try Self.load("""
            workflow: w
            stages:
              fig:
                uses: test.constant@1
                with: {value: 1, title: "Density by ${matrix.measure}, ${matrix.year}", notes: ["in ${matrix.year}"], cmd: "echo ${matrix.measure}"}
                matrix: {measure: [density_firm, "a b; rm -rf x"], year: [2009, 2010]}
            """)
        #expect(workflow.stages.map(\.name) == ["fig[density_firm,2009]", "fig[density_firm,2010]", "fig[2,2009]", "fig[2,2010]"])
        func parameter(_ stage: Int, _ name: String) -> ParameterEntry? {
            workflow.stages[stage].parameters.first { $0.name == name }
        }
        #expect(parameter(1, "title")?.value == .string("Density by density_firm, 2010"))
        #expect(parameter(1, "notes")?.value == .list([.string("in 2010")]))
        #expect(parameter(2, "title")?.value == .string("Density by a b; rm -rf x, 2009"))
        // A shell command gets the value quoted, as ${params.NAME} is.
        #expect(parameter(2, "cmd")?.shellQuotedValue == .string("echo 'a b; rm -rf x'"))
        #expect(parameter(2, "cmd")?.value == .string("echo a b; rm -rf x"))

        for (text, message) in [
            ("with: {title: \"${matrix.yaer}\"}\n    matrix: {year: [2009]}",
             "w.yaml:5:20: error: '${matrix.yaer}' names no matrix axis of this stage; did you mean 'year'?"),
            ("with: {title: \"${matrix.year}\"}", "w.yaml:5:20: error: '${matrix.year}' names no matrix axis of this stage (it has no matrix)"),
        ] {
            do {
                _ = try Self.load("workflow: w\nstages:\n  fig:\n    uses: test.constant@1\n    \(text)\n")
                Issue.record("no error for \(text)")
            } catch let error as DiagnosticsError {
                #expect(error.diagnostics.map(\.headline) == [message])
            }
        }
    }

    @Test("a bad --set names the argument and suggests the stage")
    func badOverride() throws {
        #expect(throws: DiagnosticsError.self) {
            try Self.load("workflow: w\nstages:\n  model:\n    uses: test.constant@1\n", overrides: ["stages.modle.uses=x@1"])
        }
        do {
            _ = try Self.load("workflow: w\nstages:\n  model:\n    uses: test.constant@1\n", overrides: ["stages.modle.uses=x@1"])
        } catch let error as DiagnosticsError {
            #expect(error.diagnostics.map(\.headline) == [
                "--set:1:1: error: '--set stages.modle.uses=x@1': the workflow has no stage 'modle'; did you mean 'model'?",
            ])
        }
        #expect(throws: DiagnosticsError.self) { try Override(parsing: "params.seed", index: 1) }
    }

    @Test("matrix: one stage per combination, named by its values")
    func matrix() throws {
        let workflow = try Self.load("""
            workflow: w
            stages:
              model:
                uses: test.constant@1
                with: {value: 1}
                matrix:
                  uses: [test.constant@1, test.parity@1]
                  value: [2, 3]
            """)
        #expect(workflow.stages.map(\.name) == ["model[constant,2]", "model[constant,3]", "model[parity,2]", "model[parity,3]"])
        #expect(workflow.stages.map(\.uses.value.id) == ["test.constant", "test.constant", "test.parity", "test.parity"])
        #expect(workflow.stages[1].parameters.first { $0.name == "value" }?.value == .int(3))
        #expect(Set(workflow.stages.map(\.baseName)) == ["model"])
    }

    @Test("a subset condition names its member by column and value: figure3[density_firm,year=2009], subsample[region4=East]")
    func matrixConditionNames() throws {
        let workflow = try Self.load("""
            workflow: w
            stages:
              figure3:
                uses: test.constant@1
                with: {value: 1}
                matrix:
                  measure: [density_firm]
                  subset: ["year == 2009", "year==2016", 'region4 == "East"', "region4 == 'West'", "year >= 2009", 'name == "a b"']
              consumer:
                uses: test.concat@1
                inputs: {in: "figure3[density_firm,year=2009].out"}
            """)
        #expect(workflow.stages.map(\.name).prefix(6) == ["figure3[density_firm,year=2009]", "figure3[density_firm,year=2016]",
                                                          "figure3[density_firm,region4=East]", "figure3[density_firm,region4=West]",
                                                          "figure3[density_firm,5]", "figure3[density_firm,6]"])
        #expect(workflow.stages.last?.inputs.first?.sources.map(\.value.stage) == ["figure3[density_firm,year=2009]"])
    }

    @Test("a reference to a matrix stage binds every expansion; one expansion can be named")
    func matrixReferences() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        try project.write("Workflows/m.yaml", """
            workflow: m
            stages:
              fit:
                uses: test.constant@1
                with: {value: 0}
                matrix: {value: [1, 2, 3]}
              table:
                uses: test.concat@1
                inputs: {in: fit.out}
              one:
                uses: test.concat@1
                inputs: {in: "fit[2].out"}
            """)
        let graph = try project.graph("Workflows/m.yaml", registry: FakeStages.registry())
        #expect(graph.stage("table")!.inputs["in"]!.map(\.stage) == ["fit[1]", "fit[2]", "fit[3]"])
        #expect(graph.stage("one")!.inputs["in"]!.map(\.stage) == ["fit[2]"])
    }

    @Test("the alias budget stops a billion laughs without running out of memory")
    func aliasBudget() throws {
        let text = try Fixtures.text("diagnostics/alias-bomb.yaml")
        #expect(throws: DiagnosticsError.self) { try WorkflowLoader().load(text: text, file: "bomb.yaml") }
        // The same document under a generous budget for small files still loads small aliases.
        let small = try WorkflowLoader().load(text: """
            workflow: w
            params:
              base: &base [1, 2]
              again: *base
            stages:
              s: {uses: test.constant@1, with: {value: 1}}
            """, file: "w.yaml")
        #expect(small.params.map(\.value) == [.list([.int(1), .int(2)]), .list([.int(1), .int(2)])])
    }

    /// A long workflow: 200 stages with scalars of every style, a list, a block scalar and CJK text.
    static let longWorkflow: String = {
        var text = "workflow: long\ntitle: \"长 workflow — 试验\"\nparams:\n  years: [2001, 2002]\nstages:\n"
        for i in 0..<200 {
            text += "  s\(i): {uses: test.constant@1, with: {value: \(i), label: 'stage \(i)', flag: true}}\n"
        }
        text += "  notes:\n    uses: test.constant@1\n    with:\n      value: |\n        line one\n        line two\n"
        return text
    }()

    @Test("a long workflow's composed tree is kept by its text's digest and read back identical, under the caller's file name")
    func treeCache() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let cache = YAMLTreeCache(directory: project.root.appendingPathComponent("Artifacts/yaml"))
        let text = Self.longWorkflow
        #expect(text.utf8.count >= YAMLTreeCache.minimumLength)
        let plain = try #require(try YAMLComposer().compose(text, file: "Workflows/long.yaml"))
        let first = try #require(try YAMLComposer(cache: cache).compose(text, file: "Workflows/long.yaml"))
        #expect(first == plain)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.directory.path)
        #expect(files == [YAMLTreeCache.name(of: text)])
        // Read back: equal nodes, kinds, styles and locations, in the file name of this load.
        let again = try #require(try YAMLComposer(cache: cache).compose(text, file: "/abs/long.yaml"))
        let expected = try #require(try YAMLComposer().compose(text, file: "/abs/long.yaml"))
        #expect(again == expected)
        let value = ["stages", "notes", "with", "value"].reduce(Optional(again)) { node, key in
            node?.pairs?.first { $0.key.scalarText == key }?.value
        }
        #expect(value?.kind == .scalar("line one\nline two\n", .block))
        // The same workflow loads the same through the cache.
        let viaCache = try WorkflowLoader(composer: YAMLComposer(cache: cache)).load(text: text, file: "w.yaml")
        #expect(viaCache == (try WorkflowLoader().load(text: text, file: "w.yaml")))
    }

    @Test("a cached tree is used as found, and a cut or foreign cache file is ignored, never trusted half")
    func treeCacheDamage() throws {
        let project = try TemporaryProject()
        defer { project.cleanUp() }
        let cache = YAMLTreeCache(directory: project.root.appendingPathComponent("Artifacts/yaml"))
        let text = Self.longWorkflow
        let file = cache.directory.appendingPathComponent(YAMLTreeCache.name(of: text))
        // A well-formed entry is what the lookup returns: the cache is really read.
        let planted = YAMLNode(.mapping([(YAMLNode(.scalar("workflow", .plain), at: SourceLocation(file: "", line: 1, column: 1)),
                                          YAMLNode(.scalar("planted", .plain), at: SourceLocation(file: "", line: 1, column: 11)))]),
                               at: SourceLocation(file: "", line: 1, column: 1))
        try FileManager.default.createDirectory(at: cache.directory, withIntermediateDirectories: true)
        try YAMLTreeCache.encode(planted).write(to: file)
        let read = try #require(try YAMLComposer(cache: cache).compose(text, file: "w.yaml"))
        #expect(read.pairs?.first?.value.scalarText == "planted")
        #expect(read.location == SourceLocation(file: "w.yaml", line: 1, column: 1))

        let whole = YAMLTreeCache.encode(try #require(try YAMLComposer().compose(text, file: "")))
        let expected = try YAMLComposer().compose(text, file: "w.yaml")
        for damaged in [whole.prefix(whole.count / 2), whole.prefix(whole.count - 1), whole + Data([0]),
                        Data("PFYAMLTREE1\n".utf8) + whole.dropFirst(12), Data()] {
            try Data(damaged).write(to: file)
            #expect(try YAMLComposer(cache: cache).compose(text, file: "w.yaml") == expected)
        }
        // Short texts are not cached at all.
        try FileManager.default.removeItem(at: cache.directory)
        _ = try YAMLComposer(cache: cache).compose("workflow: w\nstages: {}\n", file: "w.yaml")
        #expect(!FileManager.default.fileExists(atPath: cache.directory.path))
    }
}

@Suite("Cache keys")
struct KeyTests {
    static let ingredients = KeyIngredients(
        plugin: "models.probit", version: 1, implementation: "builtin",
        params: ["formula": .string("y ~ x | fe"), "margins": .string("average"), "seed": .int(7), "alpha": .double(0.05),
                 "flags": .list([.bool(true), .null]), "vcov": .map(["cluster": .string("firm")])],
        inputs: ["data": [Digest(hex: String(repeating: "ab", count: 32))!]],
        files: ["data/in.csv": Digest(hex: String(repeating: "01", count: 32))!])

    /// The golden value comes from Tests/Fixtures/keys/canonical_key.py, an independent Python
    /// implementation of the documented encoding.
    @Test("the key of fixed ingredients is the one an independent implementation computes")
    func golden() {
        #expect(Self.ingredients.key.description == "sha256:225930d4337780a2c49a29b8fe50eaae43608e8de1542d0e154c09c4197c7955")
    }

    @Test("every ingredient changes the key, map order does not")
    func sensitivity() {
        let base = Self.ingredients
        var reordered = base
        reordered.params = Dictionary(uniqueKeysWithValues: base.params.reversed().map { ($0.key, $0.value) })
        #expect(reordered.key == base.key)
        var changes: [KeyIngredients] = []
        var v = base; v.version = 2; changes.append(v)
        v = base; v.plugin = "models.logit"; changes.append(v)
        v = base; v.implementation = "sha256:x"; changes.append(v)
        v = base; v.params["seed"] = .int(8); changes.append(v)
        v = base; v.params["seed"] = .string("7"); changes.append(v)
        v = base; v.params["alpha"] = .double(0.050000001); changes.append(v)
        v = base; v.inputs["data"] = [Digest(hex: String(repeating: "ac", count: 32))!]; changes.append(v)
        v = base; v.files = [:]; changes.append(v)
        #expect(Set(changes.map(\.key)).count == changes.count)
        #expect(!changes.map(\.key).contains(base.key))
    }

    @Test("changes are explained by name")
    func explanations() {
        var now = Self.ingredients
        now.version = 2
        now.params["seed"] = .int(8)
        #expect(now.changes(since: Self.ingredients) == [
            "plugin version changed: models.probit@1 → @2",
            "parameter 'seed' changed: 7 → 8",
        ])
    }
}
