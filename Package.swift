// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "kb",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kb", targets: ["CLI"]),
        .executable(name: "kb-hub", targets: ["HubCommand"]),
        .library(name: "KB", targets: ["KB"]),
        .library(name: "Sync", targets: ["Sync"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        // libcurl through pkg-config. Sources/CCurl/shim.h opens the library when the first request is
        // made; `make release` drops the link-time dependency from `kb`, so that other commands start
        // without loading it (docs/architecture.md).
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // SQLite's process-wide settings (a variadic C function): how `kb search` sets up its memory.
        .systemLibrary(
            name: "CSQLiteConfig",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "KB",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C functions, for the listings that read rows faster than `Row` does.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                // zlib: the text kept compressed in the file (``CompressedText``).
                "CZlib",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Sync",
            dependencies: [
                "KB",
                "CCurl",
                "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Hub",
            dependencies: [
                "Sync",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // `kb open`: the local web reader, run by `kb-hub open` (the server framework stays out of `kb`).
        .target(
            name: "Reader",
            dependencies: [
                "KB",
                "Sync",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["Assets"],
            swiftSettings: swiftSettings
        ),
        // `kb`: every command. `kb serve` runs `kb-hub`, installed beside it, so that the server
        // framework stays out of the `kb` binary and every other command starts fast. A release `kb` is
        // linked at a fixed address (not position-independent): the loader then has none of the binary's
        // ~100,000 relative relocations to apply, and touches far fewer pages, at every start
        // (docs/architecture.md).
        .executableTarget(
            name: "CLI",
            dependencies: [
                "KB",
                "Sync",
                "CSQLiteConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: [
                .unsafeFlags(["-Xlinker", "-no-pie"], .when(platforms: [.linux], configuration: .release))
            ]
        ),
        .executableTarget(
            name: "HubCommand",
            dependencies: [
                "Hub",
                "Reader",
                "KB",
                "Sync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "kb-bench",
            dependencies: [
                "KB",
                "Sync",
                "Hub",
                "Reader",
                "ThrowawayPostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/Harness",
            swiftSettings: swiftSettings
        ),
        // What every test target shares (seeded randomness, a hand-moved clock, temporary folders, the seed page).
        .target(
            name: "KBTestSupport",
            dependencies: ["KB"],
            path: "Tests/KBTestSupport",
            swiftSettings: swiftSettings
        ),
        // Requests to the hub's routes in the test process, through HummingbirdTesting's router mode (no socket).
        .target(
            name: "HubTestClient",
            dependencies: [
                "Hub",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/HubTestClient",
            swiftSettings: swiftSettings
        ),
        // A throwaway PostgreSQL cluster for the hub's tests and benchmarks (initdb, pg_ctl, removed at exit).
        .target(
            name: "ThrowawayPostgres",
            path: "Tests/ThrowawayPostgres",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KBTests",
            dependencies: [
                "KBTestSupport",
                "KB",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SyncTests",
            dependencies: [
                "KBTestSupport",
                "KB",
                "Sync",
                "Hub",
                "HubTestClient",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HubTests",
            dependencies: [
                "KBTestSupport",
                "Hub",
                "HubTestClient",
                "ThrowawayPostgres",
                "Sync",
                "KB",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReaderTests",
            dependencies: [
                "KBTestSupport",
                "Reader",
                "KB",
                "Sync",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "KBTestSupport",
                "CLI",
                "HubCommand",
                "KB",
                "Sync",
                "ThrowawayPostgres",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
    ]
)
