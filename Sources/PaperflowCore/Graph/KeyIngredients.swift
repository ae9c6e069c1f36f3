/// Everything a stage's cache key is made of, kept so `why` and `plan` can show and compare them.
///
/// key = SHA-256 over the canonical encoding of: plugin id, plugin version, implementation
/// digest, resolved parameters, and the content digests of every input artifact and input file.
/// Not time stamps, not absolute paths, not host names or undeclared environment variables: a
/// key made on one machine hits on another.
public struct KeyIngredients: Sendable, Hashable, Codable {
    /// The plugin id.
    public var plugin: String
    /// The plugin version.
    public var version: Int
    /// The plugin implementation digest.
    public var implementation: String
    /// Resolved parameters.
    public var params: [String: ParamValue]
    /// Input artifact digests by port, in binding order.
    public var inputs: [String: [Digest]]
    /// Input file digests by project-relative path.
    public var files: [String: Digest]
    /// Environment variables the plugin declares as changing its outputs, with their values.
    public var environment: [String: String]

    /// Creates the ingredients.
    public init(plugin: String, version: Int, implementation: String, params: [String: ParamValue],
                inputs: [String: [Digest]], files: [String: Digest], environment: [String: String] = [:]) {
        self.environment = environment
        self.plugin = plugin
        self.version = version
        self.implementation = implementation
        self.params = params
        self.inputs = inputs
        self.files = files
    }

    enum CodingKeys: String, CodingKey { case plugin, version, implementation, params, inputs, files, environment }

    /// Decodes ingredients; `environment` is absent from records of plugins that declare none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(plugin: try container.decode(String.self, forKey: .plugin), version: try container.decode(Int.self, forKey: .version),
                  implementation: try container.decode(String.self, forKey: .implementation),
                  params: try container.decode([String: ParamValue].self, forKey: .params),
                  inputs: try container.decode([String: [Digest]].self, forKey: .inputs),
                  files: try container.decode([String: Digest].self, forKey: .files),
                  environment: try container.decodeIfPresent([String: String].self, forKey: .environment) ?? [:])
    }

    /// The version of this key recipe; bumping it invalidates every cache entry.
    public static let schema: Int64 = 1

    /// The stage key.
    public var key: Digest {
        var encoder = CanonicalEncoder()
        encoder.append("paperflow-stage-key")
        encoder.append(Self.schema)
        encoder.append(plugin)
        encoder.append(Int64(version))
        encoder.append(implementation)
        encoder.appendMap(params) { $0.append($1) }
        encoder.appendMap(inputs) { encoder, digests in
            encoder.append(.list(digests.map { .string($0.description) }))
        }
        encoder.appendMap(files) { $0.append($1.description) }
        // Absent for plugins that declare no environment, so their keys are unaffected.
        if !environment.isEmpty {
            encoder.append("environment")
            encoder.appendMap(environment) { $0.append($1) }
        }
        return encoder.digest
    }

    /// Human-readable differences from `previous`, naming each changed ingredient.
    public func changes(since previous: KeyIngredients) -> [String] {
        var changes: [String] = []
        if plugin != previous.plugin {
            changes.append("plugin changed: \(previous.plugin)@\(previous.version) → \(plugin)@\(version)")
        } else if version != previous.version {
            changes.append("plugin version changed: \(plugin)@\(previous.version) → @\(version)")
        }
        if implementation != previous.implementation {
            changes.append("plugin implementation changed: \(Self.short(previous.implementation)) → \(Self.short(implementation))")
        }
        for name in Set(params.keys).union(previous.params.keys).sorted() {
            switch (previous.params[name], params[name]) {
            case let (old?, new?) where !old.looselyEquals(new): changes.append("parameter '\(name)' changed: \(old) → \(new)")
            case let (nil, new?): changes.append("parameter '\(name)' added: \(new)")
            case let (old?, nil): changes.append("parameter '\(name)' removed (was \(old))")
            default: break
            }
        }
        for port in Set(inputs.keys).union(previous.inputs.keys).sorted() where inputs[port] != previous.inputs[port] {
            let old = previous.inputs[port]?.map(\.short).joined(separator: ",") ?? "none"
            let new = inputs[port]?.map(\.short).joined(separator: ",") ?? "none"
            changes.append("input '\(port)' changed: \(old) → \(new)")
        }
        for path in Set(files.keys).union(previous.files.keys).sorted() where files[path] != previous.files[path] {
            let old = previous.files[path]?.short ?? "none"
            let new = files[path]?.short ?? "none"
            changes.append("file '\(path)' changed: \(old) → \(new)")
        }
        for name in Set(environment.keys).union(previous.environment.keys).sorted() where environment[name] != previous.environment[name] {
            changes.append("environment variable \(name) changed: \(previous.environment[name] ?? "unset") → \(environment[name] ?? "unset")")
        }
        return changes
    }

    private static func short(_ implementation: String) -> String {
        Digest(parsing: implementation)?.short ?? implementation
    }
}
