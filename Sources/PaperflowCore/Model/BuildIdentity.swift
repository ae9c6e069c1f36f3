/// Which Paperflow made a record: its version and the fingerprint of everything its built-in
/// stages are made of. Written into run headers, action records and lock files so that a
/// reader can tell which build produced an output; never part of a stage key (each key holds
/// its own stage's fingerprint).
public struct BuildIdentity: Sendable, Hashable, Codable {
    /// The release version (`paperflow --version`).
    public var version: String
    /// `sha256:` over every source and resource file of the build.
    public var fingerprint: String

    /// Creates an identity.
    public init(version: String, fingerprint: String) {
        self.version = version
        self.fingerprint = fingerprint
    }

    /// The identity of a build that did not say (tests with fake stages, records of old builds).
    public static let unknown = BuildIdentity(version: "unknown", fingerprint: "unknown")

    var json: ParamValue { .map(["version": .string(version), "fingerprint": .string(fingerprint)]) }
}
