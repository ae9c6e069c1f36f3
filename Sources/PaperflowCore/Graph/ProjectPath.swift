import Foundation

/// Normalises paths named in a workflow and keeps them inside the project.
///
/// Paths in workflows are relative to the project root; an absolute path is accepted only if it
/// lies inside the root (it is rewritten relative, so keys do not depend on where the project is
/// checked out). `..` may not climb out of the root, and neither may a symlink on the way.
public enum ProjectPath {
    /// The normalised relative path, or why it is refused.
    public static func normalize(_ path: String, root: URL) -> Result<String, PathProblem> {
        guard !path.isEmpty else { return .failure(.empty) }
        let rootPath = root.standardizedFileURL.path
        var relative = path
        if path.hasPrefix("/") {
            let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
            guard standardized == rootPath || standardized.hasPrefix(rootPath + "/") else {
                return .failure(.outsideProject(path))
            }
            relative = String(standardized.dropFirst(rootPath.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        }
        var components: [Substring] = []
        for component in relative.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                guard !components.isEmpty else { return .failure(.outsideProject(path)) }
                components.removeLast()
            default: components.append(component)
            }
        }
        guard !components.isEmpty else { return .failure(.isProjectRoot(path)) }
        let normalized = components.joined(separator: "/")
        // A symlink inside the project may still point outside it.
        let resolvedRoot = root.resolvingSymlinksInPath().standardizedFileURL.path
        var probe = root
        for component in components {
            probe.appendPathComponent(String(component))
            let resolved = probe.resolvingSymlinksInPath().standardizedFileURL.path
            if resolved != resolvedRoot, !resolved.hasPrefix(resolvedRoot + "/") {
                return .failure(.symlinkOutsideProject(path, resolved))
            }
            if !FileManager.default.fileExists(atPath: probe.path) { break }
        }
        return .success(normalized)
    }

    /// Why a path was refused.
    public enum PathProblem: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        case outsideProject(String)
        case isProjectRoot(String)
        case symlinkOutsideProject(String, String)

        public var description: String {
            switch self {
            case .empty: return "the path is empty"
            case let .outsideProject(path): return "path '\(path)' is outside the project"
            case let .isProjectRoot(path): return "path '\(path)' names the project root itself, not a file in it"
            case let .symlinkOutsideProject(path, target): return "path '\(path)' leads through a symlink to '\(target)', outside the project"
            }
        }
    }
}
