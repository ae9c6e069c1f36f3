import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The machine a run ran on, as a replication package's "computational requirements" reports
/// it: operating system, processor, cores, memory, and the Swift that built Paperflow. Written
/// into each run record's header; never part of a key.
public struct MachineDescription: Sendable, Hashable, Codable {
    /// The operating system (`PRETTY_NAME` of /etc/os-release, or the kernel's name).
    public var os: String
    /// Kernel name, release and architecture (`uname -srm`).
    public var kernel: String
    /// The processor's model name.
    public var cpu: String
    /// Logical processors available to the run.
    public var cores: Int
    /// Physical memory in bytes.
    public var memory: UInt64
    /// The Swift compiler that built Paperflow.
    public var swift: String

    /// Creates a description.
    public init(os: String, kernel: String, cpu: String, cores: Int, memory: UInt64, swift: String) {
        self.os = os
        self.kernel = kernel
        self.cpu = cpu
        self.cores = cores
        self.memory = memory
        self.swift = swift
    }

    /// This machine, read once per process.
    public static let current: MachineDescription = {
        var names = utsname()
        uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let kernel = [field(names.sysname), field(names.release), field(names.machine)].joined(separator: " ")
        let release = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)).flatMap { text in
            text.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
                .map { $0.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).flatMap { text in
            text.split(separator: "\n").first { $0.hasPrefix("model name") }
                .flatMap { $0.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) }
        }
        return MachineDescription(os: release ?? field(names.sysname), kernel: kernel, cpu: cpu ?? field(names.machine),
                                  cores: ProcessInfo.processInfo.activeProcessorCount,
                                  memory: ProcessInfo.processInfo.physicalMemory, swift: compilerVersion)
    }()

    /// The compiler's version, to the minor release.
    static var compilerVersion: String {
        #if compiler(>=6.4)
        return "Swift 6.4 or later"
        #elseif compiler(>=6.3)
        return "Swift 6.3"
        #elseif compiler(>=6.2)
        return "Swift 6.2"
        #else
        return "Swift 6.1"
        #endif
    }
}
