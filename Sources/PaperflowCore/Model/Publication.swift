/// A stage's `data:` block: what its data are, where they come from and who may have them — the
/// replication package's data availability statement and dataset list are made from it. Written
/// on a stage that reads files (`io.*`, `shell`) or generates data (`synthetic.*`); never part
/// of a stage key (editing a citation recomputes nothing).
public struct DataStatement: Sendable, Hashable {
    /// Who may have the data, in the Data and Code Availability Standard's terms.
    public enum Access: String, Sendable, Hashable, CaseIterable {
        /// Anyone may download it.
        case `public`
        /// Free, after registering with the provider.
        case registration
        /// Under a licence or an application (fees, a data use agreement).
        case restricted
        /// Only in a secure environment; it may not leave it.
        case confidential
    }

    /// A short name of the dataset.
    public var title: String?
    /// The reference to cite, as it should appear in the package's references.
    public var citation: String?
    /// Its DOI (`10.…`).
    public var doi: String?
    /// Where it can be found.
    public var url: String?
    /// Its licence (an SPDX id such as `CC-BY-4.0`, or words).
    public var licence: String?
    /// A licence file in the project to ship with it.
    public var licenceFile: String?
    /// Who may have it.
    public var access: Access?
    /// Whether the package includes it (default: only public data are included).
    public var provided: Bool?
    /// How a replicator obtains it.
    public var obtain: String?
    /// What obtaining it costs.
    public var cost: String?
    /// How long obtaining it takes.
    public var time: String?
    /// For a synthetic stand-in: the real data it replaces (at most one, held in an array so a
    /// statement can contain one).
    public var replacing: [DataStatement] = []
    /// Where the block was written.
    public var location: SourceLocation

    /// Creates an empty statement written at `location`.
    public init(location: SourceLocation) {
        self.location = location
    }

    /// The real data this stand-in replaces.
    public var replaces: DataStatement? { replacing.first }

    /// Whether the package may include the data: as written, else only when public.
    public var isProvided: Bool { provided ?? (access == .public) }
}

/// A stage's `label:` — how the paper names what it makes ("Table 1", "Figure 3b"): the
/// replication package maps each label to the stage's outputs and their files. Never in a key.
public struct ExhibitLabel: Sendable, Hashable {
    /// `label: "Table 1"`: every output of the stage is that exhibit.
    public var text: String?
    /// `label: {svg: "Figure 3b", …}`: labels of single outputs.
    public var outputs: [String: String] = [:]
    /// Where the label was written.
    public var location: SourceLocation

    /// Creates a label written at `location`.
    public init(text: String?, outputs: [String: String] = [:], location: SourceLocation) {
        self.text = text
        self.outputs = outputs
        self.location = location
    }

    /// The label of output `port`, if it has one.
    public func label(of port: String) -> String? { outputs[port] ?? text }
}
