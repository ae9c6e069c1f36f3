import Foundation
import PaperflowCore
import Synchronization

/// Stages that exist only to prove the engine: deterministic, tiny, and observable.
public enum FakeStages {
    /// `test.constant`: writes its `value` parameter (as text) to output `out`.
    public static func constant(version: Int = 1) -> PluginDescriptor {
        PluginDescriptor(id: "test.constant", version: version, implementationDigest: "test",
                         signature: StageSignature(summary: "writes its value parameter",
                                                   outputs: [PortSpec("out", kind: .text)],
                                                   params: [ParamSpec("value", .any, required: true)]),
                         makeRunner: { ClosureRunner { context in
                             ["out": .bytes(Data("\(context.params["value"]!)\n".utf8))]
                         } })
    }

    /// `test.parity`: writes "even" or "odd" for its `value`: different parameters, same output
    /// (for early cut-off).
    public static func parity() -> PluginDescriptor {
        PluginDescriptor(id: "test.parity", version: 1, implementationDigest: "test",
                         signature: StageSignature(summary: "writes the parity of value",
                                                   outputs: [PortSpec("out", kind: .text)],
                                                   params: [ParamSpec("value", .int, required: true)]),
                         makeRunner: { ClosureRunner { context in
                             ["out": .bytes(Data((context.int("value")! % 2 == 0 ? "even\n" : "odd\n").utf8))]
                         } })
    }

    /// `test.concat`: concatenates its inputs and appends its `suffix`.
    public static func concat() -> PluginDescriptor {
        PluginDescriptor(id: "test.concat", version: 1, implementationDigest: "test",
                         signature: StageSignature(summary: "concatenates inputs, appends suffix",
                                                   inputs: [PortSpec("in", kind: .text, multiple: true, optional: true)],
                                                   outputs: [PortSpec("out", kind: .text)],
                                                   params: [ParamSpec("suffix", .string, default: .string(""))]),
                         makeRunner: { ClosureRunner { context in
                             var data = Data()
                             for input in context.inputs["in"] ?? [] { data.append(try input.data()) }
                             data.append(Data(context.string("suffix")!.utf8))
                             return ["out": .bytes(data)]
                         } })
    }

    /// `test.increment`: reads a number and writes the next one (distinct outputs along a chain).
    public static func increment() -> PluginDescriptor {
        PluginDescriptor(id: "test.increment", version: 1, implementationDigest: "test",
                         signature: StageSignature(summary: "adds one", inputs: [PortSpec("in", kind: .text)],
                                                   outputs: [PortSpec("out", kind: .text)]),
                         makeRunner: { ClosureRunner { context in
                             let text = String(decoding: try context.input("in").data(), as: UTF8.self)
                             guard let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                                 throw StageFailure("input is not a number: '\(text)'")
                             }
                             return ["out": .bytes(Data("\(value + 1)\n".utf8))]
                         } })
    }

    /// `test.fail`: always fails with its `message`.
    public static func fail() -> PluginDescriptor {
        PluginDescriptor(id: "test.fail", version: 1, implementationDigest: "test",
                         signature: StageSignature(summary: "fails", inputs: [PortSpec("in", multiple: true, optional: true)],
                                                   outputs: [PortSpec("out")],
                                                   params: [ParamSpec("message", .string, default: .string("planned failure"))]),
                         makeRunner: { ClosureRunner { context in throw StageFailure(context.string("message")!) } })
    }

    /// `test.rendezvous`: waits until every stage using the same `group` has started (or
    /// `timeout` seconds pass, then fails). Two such stages can only both succeed if they run
    /// at the same time — overlap proven by outcome, not by timing.
    public static func rendezvous(_ peers: RendezvousRegistry) -> PluginDescriptor {
        PluginDescriptor(id: "test.rendezvous", version: 1, implementationDigest: "test",
                         signature: StageSignature(summary: "waits for its peers",
                                                   outputs: [PortSpec("out")],
                                                   params: [ParamSpec("group", .string, required: true),
                                                            ParamSpec("peers", .int, required: true),
                                                            ParamSpec("timeout", .double, default: .double(10))]),
                         makeRunner: { ClosureRunner { context in
                             let met = peers.arrive(context.string("group")!, peers: Int(context.int("peers")!),
                                                       timeout: context.double("timeout")!)
                             guard met else { throw StageFailure("peers never arrived: stages did not overlap") }
                             return ["out": .bytes(Data(context.stageName.utf8))]
                         } })
    }

    /// The built-in stages' ids are not needed here; a registry of every fake.
    public static func registry(constantVersion: Int = 1, rendezvous: RendezvousRegistry = RendezvousRegistry(),
                                extra: [PluginDescriptor] = []) -> StageRegistry {
        StageRegistry([constant(version: constantVersion), parity(), concat(), increment(), fail(), Self.rendezvous(rendezvous)] + extra)
    }
}

/// A stage runner from a closure.
public struct ClosureRunner: StageRunner {
    let body: @Sendable (StageContext) throws -> [String: Artifact]

    /// Wraps `body`.
    public init(_ body: @escaping @Sendable (StageContext) throws -> [String: Artifact]) { self.body = body }

    public func run(_ context: StageContext) throws -> [String: Artifact] { try body(context) }
}

/// Counts arrivals per group and releases everyone once all peers have arrived.
public final class RendezvousRegistry: Sendable {
    private let arrivals = Mutex<[String: Int]>([:])

    /// Creates an empty registry.
    public init() {}

    /// Arrives at `group`; waits for `peers` arrivals in all. Returns false on timeout.
    public func arrive(_ group: String, peers: Int, timeout: Double) -> Bool {
        arrivals.withLock { $0[group, default: 0] += 1 }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if arrivals.withLock({ $0[group, default: 0] }) >= peers { return true }
            usleep(1_000)
        }
        return false
    }
}
