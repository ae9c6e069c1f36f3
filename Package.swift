// swift-tools-version: 6.1
import PackageDescription

// The numeric and table modules are optimised even in debug builds: `swift run paperflow` (the
// README's command) and `swift test` build in debug, where unoptimised generic loops run 30–100×
// slower — a paper workflow's minutes become an hour. The engine, the CLI and the tests stay
// unoptimised for debugging.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Paperflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "paperflow", targets: ["paperflow"]),
        .library(name: "PaperflowCore", targets: ["PaperflowCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // The engine: workflow model, YAML loading, validation, stage keys, store, scheduler.
        .target(
            name: "PaperflowCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Columnar tables, fast CSV reading and writing, the binary table format. Depends on nothing of ours.
        .target(name: "PaperflowData", swiftSettings: optimisedInDebug),
        // Econometrics: formulas, dense linear algebra, fixed-effects, binary-choice and mixture
        // models, covariance conventions, distributions. Pure Swift, no BLAS; reads tables
        // (PaperflowData) to build a model's frame.
        .target(name: "PaperflowStats", dependencies: ["PaperflowData"], swiftSettings: optimisedInDebug),
        // Built-in stage plugins, one folder per family (IO/ for io.* and shell, Models/ for models.*).
        .target(
            name: "PaperflowStages",
            dependencies: ["PaperflowCore", "PaperflowData", "PaperflowStats"],
            // Runtime data: the UNSD HS correlation tables that trade.harmonize-hs reads.
            resources: [.copy("Trade/HS")],
            swiftSettings: optimisedInDebug,
            plugins: ["BuiltinFingerprintPlugin"]
        ),
        // Build time: each built-in stage's fingerprint (its code and data, transitively), for its cache key.
        .target(name: "PaperflowFingerprinting"),
        .executableTarget(name: "paperflow-fingerprint", dependencies: ["PaperflowFingerprinting"]),
        .plugin(
            name: "BuiltinFingerprintPlugin",
            capability: .buildTool(),
            dependencies: ["paperflow-fingerprint"],
            path: "BuildPlugins/BuiltinFingerprintPlugin"
        ),
        // Command-line interface: one file per subcommand, plus the reporters.
        .target(
            name: "PaperflowCLI",
            dependencies: [
                "PaperflowCore",
                "PaperflowData",
                "PaperflowStages",
                "PaperflowStats",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The executable: three lines that hand over to PaperflowCLI.
        .executableTarget(
            name: "paperflow",
            dependencies: ["PaperflowCLI"]
        ),
        // Test helpers: fake stages, temporary projects, diagnostic assertions.
        .target(
            name: "PaperflowTestSupport",
            dependencies: ["PaperflowCore"]
        ),
        .testTarget(
            name: "PaperflowCoreTests",
            dependencies: ["PaperflowCore", "PaperflowStages", "PaperflowTestSupport"]
        ),
        .testTarget(
            name: "PaperflowDataTests",
            dependencies: ["PaperflowData", "PaperflowTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "PaperflowStatsTests",
            dependencies: ["PaperflowStats", "PaperflowData", "PaperflowTestSupport"]
        ),
        .testTarget(
            name: "PaperflowStagesTests",
            dependencies: ["PaperflowStages", "PaperflowCore", "PaperflowData", "PaperflowStats", "PaperflowTestSupport",
                           "PaperflowFingerprinting", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "PaperflowCLITests",
            dependencies: ["PaperflowCLI", "PaperflowStages", "PaperflowCore", "PaperflowTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
