// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The executables carry the Swift runtime and Foundation instead of mapping them whole as shared libraries, pack their
/// relative relocations and export no symbols: a process then reads and dirties far fewer pages when it starts.
/// Packed relocations need glibc 2.36 or later where the binary runs.
let staticallyLinked: [LinkerSetting] = [
    .unsafeFlags([
        "-static-stdlib", "-use-ld=bfd", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker",
        "pack-relative-relocs",
    ]),
    .linkedLibrary("_FoundationCollections"), .linkedLibrary("_FoundationCShims"),
]

let package = Package(
    name: "Gantry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gantry", targets: ["gantry"]),
        .executable(name: "gantry-worker", targets: ["gantry-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "GantryModel",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryStorage",
            dependencies: [
                "GantryModel",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryCluster",
            dependencies: [
                "GantryModel",
                "GantryStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryConfig",
            dependencies: ["GantryModel", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryScheduling",
            dependencies: [
                "GantryCluster",
                "GantryModel",
                "GantryStorage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryAPI",
            dependencies: [
                "GantryModel",
                "GantryPools",
                "GantryScheduling",
                "GantryStorage",
                "GantryTLS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The web UI's templates and scripts are compiled into the binary: one file to deploy.
            resources: [.embedInCode("Web/Templates"), .embedInCode("Web/Assets")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryWire",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryTLS",
            dependencies: [
                "GantryModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryWorkers",
            dependencies: [
                "GantryModel",
                "GantryTLS",
                "GantryWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryNativeWorker",
            dependencies: [
                "GantryWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryPools",
            dependencies: [
                "GantryCluster",
                "GantryModel",
                "GantryStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryReporters",
            dependencies: [
                "GantryCluster",
                "GantryModel",
                "GantryStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryChangeSources",
            dependencies: [
                "GantryCluster",
                "GantryModel",
                "GantryStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryBuilds",
            dependencies: [
                "GantryModel",
                "GantryStorage",
                "GantryWorkers",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryTesting",
            dependencies: [
                "GantryModel",
                "GantryStorage",
                "GantryTLS",
                "GantryWorkers",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryMaster",
            dependencies: [
                "GantryAPI",
                "GantryBuilds",
                "GantryCluster",
                "GantryConfig",
                "GantryModel",
                "GantryPools",
                "GantryChangeSources",
                "GantryReporters",
                "GantryScheduling",
                "GantryStorage",
                "GantryTLS",
                "GantryWorkers",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryCommandLine",
            dependencies: [
                "GantryNativeWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GantryCLI",
            dependencies: [
                "GantryCommandLine",
                "GantryConfig",
                "GantryMaster",
                "GantryModel",
                "GantryStorage",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "gantry",
            dependencies: ["GantryCLI"],
            swiftSettings: swiftSettings,
            linkerSettings: staticallyLinked + [
                .linkedLibrary("CoreFoundation"), .linkedLibrary("_FoundationICU"), .linkedLibrary("stdc++"),
            ]
        ),
        .executableTarget(
            name: "gantry-worker",
            dependencies: ["GantryCommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings,
            linkerSettings: staticallyLinked
        ),
        .testTarget(
            name: "GantryModelTests",
            dependencies: ["GantryModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryStorageTests",
            dependencies: [
                "GantryModel", "GantryStorage", "GantryTesting", .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryClusterTests",
            dependencies: ["GantryCluster", "GantryModel", "GantryStorage", "GantryTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantrySchedulingTests",
            dependencies: [
                "GantryCluster", "GantryModel", "GantryScheduling", "GantryStorage", "GantryTesting",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryAPITests",
            dependencies: [
                "GantryAPI",
                "GantryModel",
                "GantryScheduling",
                "GantryStorage",
                "GantryTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            // Recordings of a real Buildbot 4.3 master, read by the tests from the source tree.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryWireTests",
            dependencies: ["GantryTesting", "GantryWire"],
            exclude: ["Vectors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryWorkersTests",
            dependencies: [
                "GantryModel", "GantryTLS", "GantryTesting", "GantryWire", "GantryWorkers",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryBuildsTests",
            dependencies: [
                "GantryBuilds", "GantryModel", "GantryStorage", "GantryTesting", "GantryWire", "GantryWorkers",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryPoolsTests",
            dependencies: [
                "GantryCluster", "GantryModel", "GantryPools", "GantryStorage", "GantryTesting", "GantryWorkers",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryReportersTests",
            dependencies: [
                "GantryCluster", "GantryModel", "GantryReporters", "GantryStorage", "GantryTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryChangeSourcesTests",
            dependencies: ["GantryChangeSources", "GantryCluster", "GantryModel", "GantryStorage", "GantryTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryConfigTests",
            dependencies: ["GantryConfig", "GantryModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryMasterTests",
            dependencies: [
                "GantryCluster", "GantryConfig", "GantryMaster", "GantryModel", "GantryScheduling", "GantryStorage",
                "GantryTesting",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GantryCLITests",
            dependencies: ["GantryModel", "GantryStorage", "GantryTesting", "GantryWire", "GantryWorkers"],
            swiftSettings: swiftSettings
        ),
    ]
)
