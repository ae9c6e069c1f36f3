import Foundation

extension SourceFingerprinter {
    /// Reads the named module folders under a `Sources` folder: `.swift` files are sources,
    /// every other file (the HS tables, their README) a resource of its module. Dot-files are
    /// left out. Paths are kept relative to `sourcesRoot`, so a copy of the tree fingerprints
    /// the same.
    public init(sourcesRoot: URL, modules: [String]) throws {
        var sources: [File] = []
        var resources: [File] = []
        for module in modules {
            let root = sourcesRoot.appendingPathComponent(module, isDirectory: true)
            guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                              options: [.skipsHiddenFiles]) else {
                throw FingerprintError("cannot list \(root.path)")
            }
            for case let url as URL in walker {
                guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
                let relative = module + "/" + url.path.dropFirst(root.path.count + 1)
                let file = File(path: relative, bytes: Array(try Data(contentsOf: url)))
                if url.pathExtension == "swift" { sources.append(file) } else { resources.append(file) }
            }
        }
        self.init(sources: sources, resources: resources)
    }
}

/// A failure of the fingerprint tool.
public struct FingerprintError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
