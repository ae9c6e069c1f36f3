import Foundation
import PaperflowCore
import PaperflowData
import PaperflowStages
import PaperflowTestSupport
import Testing

/// The network stages on the branch-office fixture, against networkx 3.6.
@Suite("Network stages")
struct NetworkStageTests {
    static func project(build: String = "{from: hq_city, to: branch_city, weight: employees, node_column: place}") throws -> TemporaryProject {
        let project = try TemporaryProject()
        try project.copy(fixture: "networks/branches.csv", to: "data/branches.csv")
        try project.copy(fixture: "networks/places.csv", to: "data/places.csv")
        try project.write("Workflows/n.yaml", """
            workflow: n
            stages:
              branches: {uses: io.csv@2, with: {path: data/branches.csv}}
              places: {uses: io.csv@2, with: {path: data/places.csv}}
              network:
                uses: networks.build@1
                inputs: {records: branches.table, nodes: places.table}
                with: \(build)
              centrality:
                uses: networks.centrality@1
                inputs: {nodes: network.nodes, edges: network.edges}
              ranking:
                uses: networks.centrality@1
                inputs: {nodes: network.nodes, edges: network.edges}
                with: {sort_by: strength}
              core:
                uses: networks.core-periphery@1
                inputs: {nodes: network.nodes, edges: network.edges}
            """)
        return project
    }

    static func table(_ project: TemporaryProject, _ path: String) throws -> Table {
        try BinaryTableFormat.read(contentsOf: project.root.appendingPathComponent("Artifacts/n/\(path)"))
    }

    @Test("degree, strength, betweenness (hops and 1/weight) and eigenvector centrality match networkx to 1e-9")
    func centralities() throws {
        let project = try Self.project()
        defer { project.cleanUp() }
        let run = try project.run("Workflows/n.yaml", registry: BuiltinStages.registry)
        #expect(run.summary.succeeded, "\(run.record.stages.compactMap(\.message))")
        struct Reference: Decodable { var edges: Int; var nodes: [String: [String: Double]] }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("networks/centrality_networkx.json")))
        #expect(try Self.table(project, "network/edges.pftable").rowCount == reference.edges)
        let table = try Self.table(project, "centrality/centrality.pftable")
        #expect(table.rowCount == 25)
        #expect(table.names.prefix(2) == ["node", "tier"])
        for row in 0..<table.rowCount {
            guard case let .string(node) = table["node"]![row] else { Issue.record("node \(row)"); continue }
            let expected = try #require(reference.nodes[node])
            for measure in ["in_degree", "out_degree", "in_strength", "out_strength", "betweenness", "betweenness_weighted", "eigenvector"] {
                let value = table[measure]!.numericValues()![row]
                #expect(abs(value - expected[measure]!) <= 1e-9 * max(1, abs(expected[measure]!)), "\(node) \(measure): \(value) vs \(expected[measure]!)")
            }
        }
        // The planted hub leads the ranking by strength.
        let ranking = try Self.table(project, "ranking/centrality.pftable")
        #expect(ranking["node"]![0] == .string("Nanjing"))
        #expect(ranking["rank"]!.values.prefix(3) == [.int64(1), .int64(2), .int64(3)])
        let strength = ranking["strength"]!.numericValues()!
        #expect(zip(strength, strength.dropFirst()).allSatisfy { $0 >= $1 })
        // Core–periphery: the isolated place is periphery with coreness 0; the hub is in the core.
        let core = try Self.table(project, "core/core.pftable")
        let names = core["node"]!.values
        let suqian = try #require(names.firstIndex(of: .string("Suqian"))), nanjing = try #require(names.firstIndex(of: .string("Nanjing")))
        #expect(core["coreness"]!.numericValues()![suqian] == 0)
        #expect(core["core"]![suqian] == .bool(false))
        #expect(core["core"]![nanjing] == .bool(true))
        #expect(core["coreness"]!.numericValues()!.max() == core["coreness"]!.numericValues()![nanjing])
    }

    @Test("networks.build errors name the record row and what to change", arguments: [
        ("{from: hq_city, to: branch_city, weight: hq_city, node_column: place}", "weight names 'hq_city', which is text; it must hold numbers"),
        ("{from: hq_city, to: branch, node_column: place}",
         "to names 'branch', which is not a column of the table (columns: hq_city, branch_city, employees)"),
        ("{from: hq_city, to: branch_city, node_column: tier}", "node 'city' is listed twice in the nodes table"),
        ("{from: hq_city, to: branch_city, node_column: place} # Nanjin,Wuxi,3",
         "record row 78: hq_city 'Nanjin' is not a node of the nodes table; fix the name or add the place"),
        ("{from: hq_city, to: branch_city, weight: employees, node_column: place} # Wuxi,Suzhou,-2",
         "record row 78: employees is -2.0; link weights cannot be negative"),
    ])
    func buildErrors(build: String, message: String) throws {
        let parts = build.components(separatedBy: " # ")
        let project = try Self.project(build: parts[0])
        defer { project.cleanUp() }
        if parts.count == 2 { try project.write("data/branches.csv", try project.read("data/branches.csv") + parts[1] + "\n") }
        let run = try project.run("Workflows/n.yaml", registry: BuiltinStages.registry)
        #expect(run.record.stages.first { $0.stage == "network" }?.message == message)
    }
}
