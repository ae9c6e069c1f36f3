/// A registered plugin: identity, signature and how to run it.
public struct PluginDescriptor: Sendable {
    /// The plugin id.
    public var id: String
    /// Its version; part of the cache key.
    public var version: Int
    /// A digest of the implementation: the plugin folder's hash for external plugins, the
    /// build-time fingerprint of the code and data a built-in runs on (never a constant).
    public var implementationDigest: String
    /// Ports, parameters, docs.
    public var signature: StageSignature
    /// Makes a runner for one invocation.
    public var makeRunner: @Sendable () -> any StageRunner

    /// Creates a descriptor.
    public init(id: String, version: Int, implementationDigest: String, signature: StageSignature,
                makeRunner: @escaping @Sendable () -> any StageRunner) {
        self.id = id
        self.version = version
        self.implementationDigest = implementationDigest
        self.signature = signature
        self.makeRunner = makeRunner
    }

    /// `id@version`.
    public var reference: String { "\(id)@\(version)" }
}

extension Stage {
    /// The descriptor of a built-in stage type whose code and data have `fingerprint`.
    public static func descriptor(fingerprint: String) -> PluginDescriptor {
        PluginDescriptor(id: id, version: version, implementationDigest: fingerprint, signature: signature,
                         makeRunner: { Self() })
    }
}
