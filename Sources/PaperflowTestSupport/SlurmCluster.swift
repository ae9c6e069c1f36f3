import Foundation

/// The one-node Slurm cluster the executor tests submit to, started by the project's
/// `.ci/start-slurm` (which installs Slurm when it is missing): its configuration file, which
/// clients find through `SLURM_CONF`.
public enum SlurmCluster {
    /// `SLURM_CONF` for the running cluster, or why there is none.
    public static let configuration: Result<String, ExternalTool.ToolError> = {
        let script = ExternalTool.repositoryRoot.appendingPathComponent(".ci/start-slurm")
        guard let (status, output) = try? ExternalTool.run(script, [], timeout: 900) else {
            return .failure(ExternalTool.ToolError(message: "cannot run \(script.path)"))
        }
        guard status == 0, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("SLURM_CONF=") }) else {
            return .failure(ExternalTool.ToolError(message: ".ci/start-slurm failed (exit \(status)): \(output.suffix(2000))"))
        }
        return .success(String(line.dropFirst("SLURM_CONF=".count)))
    }()

    /// Whether the cluster runs here (a test suite is skipped, with this said, when it does not:
    /// Slurm needs root to install and to start slurmd).
    public static var available: Bool { (try? configuration.get()) != nil }

    /// The environment a client process needs.
    public static func environment() throws -> [String: String] {
        ["SLURM_CONF": try configuration.get()]
    }

    /// Runs a Slurm client tool (`squeue`, `sacct`) against the cluster: its exit status, and its
    /// standard output and error together.
    public static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try ExternalTool.run(URL(fileURLWithPath: "/usr/bin/env"), ["SLURM_CONF=\(try configuration.get())", tool] + arguments, timeout: 60)
    }
}
