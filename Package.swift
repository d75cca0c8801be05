// swift-tools-version:6.1
// Amanah: an encrypted evidence vault. Module layout and dependency direction follow DESIGN.md ("Modules").
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Amanah",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "amanah", targets: ["amanah"]),
        .executable(name: "amanah-bench", targets: ["amanah-bench"]),
        .library(name: "VaultCrypto", targets: ["VaultCrypto"]),
        .library(name: "VaultFormats", targets: ["VaultFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
    ],
    targets: [
        // C libraries and thin shims.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .target(name: "CVipsShim", dependencies: ["CVips"]),
        .target(name: "CPlatform"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Swift modules, dependencies pointing one way.
        .target(name: "VaultText", swiftSettings: strict),
        // Files, durable writes, direct I/O, threads, pipes, process spawning, terminal secrets, errno.
        .target(name: "VaultPlatform",
                dependencies: ["CPlatform", .product(name: "SystemPackage", package: "swift-system")],
                swiftSettings: strict),
        .target(name: "VaultCrypto",
                dependencies: ["CSodium", "VaultPlatform", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        .target(name: "VaultFormats", dependencies: ["VaultPlatform", "VaultCrypto", "VaultText"], swiftSettings: strict),
        // The S3 remote's client (issue 17): the SigV4 signer first.
        .target(name: "VaultRemote", dependencies: ["VaultCrypto", "VaultPlatform", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                    .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                                                    .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        .target(name: "VaultStore",
                dependencies: ["VaultPlatform", "VaultCrypto", .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: strict),
        .target(name: "VaultAudit", dependencies: ["VaultCrypto", "VaultFormats"], swiftSettings: strict),
        // Trusted time: RFC 3161 time-stamp requests and tokens (DER through swift-asn1, certificates through
        // swift-certificates); no vault store.
        .target(name: "VaultTime",
                dependencies: ["VaultPlatform", .product(name: "SwiftASN1", package: "swift-asn1"), .product(name: "X509", package: "swift-certificates"),
                               .product(name: "Crypto", package: "swift-crypto"), .product(name: "AsyncHTTPClient", package: "async-http-client"),
                               .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
                swiftSettings: strict),
        .target(name: "VaultPolicy",
                dependencies: ["VaultCrypto", "VaultText", .product(name: "TOMLKit", package: "TOMLKit")],
                swiftSettings: strict),
        .target(name: "VaultImaging", dependencies: ["VaultPlatform", "VaultCrypto", "CVipsShim", "CPlatform", "CZlib"],
                swiftSettings: strict),
        // Governance: genesis, entries, operations, changes, the state and its transitions, the chain, client
        // state, the key ring, key work (rotation, wraps, recovery shares, re-encryption), VaultError.
        .target(name: "VaultGovernance",
                dependencies: ["VaultPlatform", "VaultCrypto", "VaultFormats", "VaultStore", "VaultPolicy", "VaultTime",
                               .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: strict),
        // Disclosure bundles and requests: layout, manifest, plan, writer and the verifier; no vault store,
        // so a recipient-side verifier needs no database.
        .target(name: "VaultDisclosure",
                dependencies: ["VaultCrypto", "VaultFormats", "VaultAudit", "VaultPolicy", "VaultImaging", "VaultPlatform", "VaultText"],
                swiftSettings: strict),
        .target(name: "Vault",
                dependencies: ["VaultGovernance", "VaultPlatform", "VaultCrypto", "VaultStore", "VaultAudit", "VaultPolicy",
                               "VaultImaging", "VaultText", "VaultTime", "CPlatform",
                               .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "SwiftCSV", package: "SwiftCSV")],
                swiftSettings: strict),
        // Governance use cases against a vault: propose, approve and apply operations, pending key work and
        // re-encryption; extensions of Session above Vault, through its package-level members.
        .target(name: "VaultGovernanceUseCases",
                dependencies: ["Vault", "VaultGovernance", "VaultPlatform", "VaultCrypto", "VaultStore", "VaultPolicy",
                               .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: strict),
        // Disclosure use cases against a vault: propose (the release plan), approve, issue; extensions of
        // Session above Vault, through its package-level members.
        .target(name: "VaultDisclosureUseCases",
                dependencies: ["Vault", "VaultGovernance", "VaultDisclosure", "VaultPlatform", "VaultCrypto", "VaultFormats", "VaultStore",
                               "VaultAudit", "VaultPolicy", "VaultImaging", "VaultText", "CPlatform",
                               .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: strict),
        // The identity agent (`amanah agent`): protocol, socket, server, client and launcher.
        .target(name: "VaultSync",
                dependencies: ["Vault", "VaultRemote", "VaultGovernance", "VaultPolicy", "VaultStore", "VaultAudit", "VaultCrypto", "VaultPlatform",
                               .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: strict),
        .target(name: "AmanahAgent", dependencies: ["VaultPlatform", "VaultCrypto", "CPlatform"], swiftSettings: strict),
        .target(name: "AmanahCLI",
                dependencies: ["VaultGovernance", "VaultGovernanceUseCases", "VaultDisclosure", "VaultDisclosureUseCases", "VaultPlatform", "Vault", "AmanahAgent", "VaultCrypto", "VaultFormats", "VaultStore", "VaultAudit", "VaultPolicy", "VaultImaging", "VaultText", "VaultRemote", "VaultSync", "VaultTime",
                               "CPlatform", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: strict),
        .executableTarget(name: "amanah", dependencies: ["AmanahCLI"], swiftSettings: strict),
        // Benchmarks (release build; figures, never tests): see BENCHMARKS.md.
        .executableTarget(name: "amanah-bench",
                          dependencies: ["VaultPlatform", "Vault", "VaultGovernance", "VaultGovernanceUseCases", "VaultCrypto", "VaultImaging", "VaultAudit",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/AmanahBench", swiftSettings: strict),

        // One test target per module.
        .testTarget(name: "VaultTextTests", dependencies: ["VaultText"], swiftSettings: strict),
        .testTarget(name: "VaultCryptoTests", dependencies: ["VaultPlatform", "VaultCrypto"],
                    exclude: ["Vectors"], swiftSettings: strict),
        .testTarget(name: "VaultFormatsTests", dependencies: ["VaultPlatform", "VaultFormats", "VaultCrypto", "VaultText", "CZlib"],
                    exclude: ["Vectors"], swiftSettings: strict),
        // Shared by the test targets: a SeaweedFS server started per test (not a test target: it holds no tests).
        .target(name: "TestSupport", dependencies: ["VaultRemote", "VaultCrypto", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                    .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
                path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "VaultRemoteTests", dependencies: ["VaultRemote", "VaultCrypto", "TestSupport"],
                    exclude: ["Vectors"], swiftSettings: strict),
        .testTarget(name: "VaultSyncTests", dependencies: ["VaultSync"], swiftSettings: strict),
        .testTarget(name: "VaultStoreTests", dependencies: ["VaultPlatform", "VaultStore", "VaultCrypto", .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: strict),
        .testTarget(name: "VaultTimeTests", dependencies: ["VaultTime", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .testTarget(name: "VaultAuditTests", dependencies: ["VaultAudit", "VaultCrypto", "VaultFormats"], swiftSettings: strict),
        .testTarget(name: "VaultPolicyTests", dependencies: ["VaultPolicy", "VaultCrypto", "VaultText"], exclude: ["Vectors"],
                    swiftSettings: strict),
        .testTarget(name: "VaultImagingTests", dependencies: ["VaultPlatform", "VaultImaging", "VaultCrypto", "CVipsShim", "CPlatform"], exclude: ["Vectors"],
                    swiftSettings: strict),
        .testTarget(name: "VaultPlatformTests", dependencies: ["VaultPlatform"], swiftSettings: strict),
        .testTarget(name: "VaultDisclosureTests", dependencies: ["VaultDisclosure"], swiftSettings: strict),
        .testTarget(name: "VaultGovernanceTests", dependencies: ["VaultGovernance", "VaultCrypto", "VaultPolicy"], swiftSettings: strict),
        .testTarget(name: "VaultTests", dependencies: ["Vault", "VaultGovernance", "VaultCrypto", "VaultPolicy", "VaultPlatform", .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: strict),
        .testTarget(name: "AmanahCLITests", dependencies: ["AmanahCLI", "TestSupport", "VaultRemote", "VaultSync", "AmanahAgent", "Vault", "VaultGovernance", "VaultPlatform", "VaultCrypto", "VaultStore", "VaultAudit", "VaultPolicy", "VaultText", "VaultDisclosure", "VaultFormats",
                                                           .product(name: "GRDB", package: "GRDB.swift")],
                    exclude: ["Fixtures"], swiftSettings: strict),
    ]
)
