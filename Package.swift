// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "chartly-budget",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "chartly-budget", targets: ["chartly-budget"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    ],
    targets: [
        // Pure domain: money, time, validation, cost model, decisions. No I/O.
        .target(name: "BudgetCore"),
        // The SQL migrations in sql/migrations, shipped inside the binary.
        .target(name: "BudgetSchema", path: "sql", resources: [.copy("migrations")]),
        // Starts and stops a private PostgreSQL cluster (embedded default, test fixture).
        .target(
            name: "LocalPostgres",
            dependencies: [.product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "BudgetStore",
            dependencies: [
                "BudgetCore",
                "BudgetSchema",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Snappy (block format) from the system: Debian's libsnappy-dev, as Prometheus remote write compresses with it.
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy", providers: [.apt(["libsnappy-dev"])]),
        // Prometheus remote write 1.0 on the wire: the protobuf messages (generated from proto/, committed) and snappy.
        .target(
            name: "PrometheusWire",
            dependencies: ["CSnappy", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(
            name: "BudgetServer",
            dependencies: [
                "BudgetCore",
                "BudgetStore",
                "PrometheusWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Resources/openapi.yaml")]
        ),
        .executableTarget(
            name: "chartly-budget",
            dependencies: [
                "BudgetCore",
                "BudgetStore",
                "BudgetServer",
                "LocalPostgres",
                "PrometheusWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // Shared by the test targets: the throwaway PostgreSQL cluster and fresh databases.
        .target(
            name: "BudgetTestSupport",
            dependencies: [
                "LocalPostgres",
                "BudgetStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/BudgetTestSupport"
        ),
        .testTarget(name: "BudgetCoreTests", dependencies: ["BudgetCore"]),
        .testTarget(name: "LocalPostgresTests", dependencies: ["LocalPostgres", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "BudgetStoreTests",
            dependencies: [
                "BudgetStore", "BudgetCore", "BudgetSchema", "BudgetTestSupport", "LocalPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "BudgetServerTests",
            dependencies: [
                "BudgetServer", "BudgetStore", "BudgetCore", "BudgetTestSupport", "LocalPostgres", "PrometheusWire",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "BudgetTestSupport", "LocalPostgres", "BudgetStore", "BudgetCore", "PrometheusWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            exclude: ["Fixtures"]
        ),
    ]
)
