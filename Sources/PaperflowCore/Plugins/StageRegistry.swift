/// The plugins a run may use, fixed when the registry is made (no registration afterwards).
public struct StageRegistry: Sendable {
    private let byID: [String: PluginDescriptor]

    /// Creates a registry.
    /// - Precondition: ids are unique (a duplicate is a programming error in the stage list).
    public init(_ descriptors: [PluginDescriptor]) {
        var byID: [String: PluginDescriptor] = [:]
        for descriptor in descriptors {
            precondition(byID[descriptor.id] == nil, "plugin id '\(descriptor.id)' registered twice")
            byID[descriptor.id] = descriptor
        }
        self.byID = byID
    }

    /// The plugin with this id.
    public func descriptor(for id: String) -> PluginDescriptor? { byID[id] }

    /// Every plugin, sorted by id.
    public var all: [PluginDescriptor] { byID.values.sorted { $0.id < $1.id } }

    /// Every id, sorted.
    public var ids: [String] { byID.keys.sorted() }

    /// A registry with `more` added (used to combine built-ins with external plugins).
    public func adding(_ more: [PluginDescriptor]) -> StageRegistry {
        StageRegistry(Array(byID.values) + more)
    }
}
