// swift-tools-version:6.0
import PackageDescription

/// Every target: Swift 6 language mode (set below), explicit `any` for existentials.
let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "prty",
    // macOS 15: the Synchronization module (Mutex, Atomic) that Shared and prty-train use needs it.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "prty-wallet", targets: ["prty-wallet"]),
        .executable(name: "prty-fetch", targets: ["prty-fetch"]),
        .executable(name: "prty-partition", targets: ["prty-partition"]),
        .executable(name: "prty-train", targets: ["prty-train"]),
        .executable(name: "prty-exec", targets: ["prty-exec"]),
        .executable(name: "prty-runner", targets: ["prty-runner"]),
    ],
    targets: [
        // MARK: C libraries
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),
        .systemLibrary(
            name: "CSecp256k1", pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"]), .brew(["secp256k1"])]),
        // SHA-256's compression function on the CPU's SHA extensions (our own C: Swift has no intrinsics).
        .target(name: "CSHA256"),

        // MARK: Library
        .target(name: "Shared", dependencies: ["CCurl", "CSHA256"], swiftSettings: swiftSettings),

        // MARK: Tools
        .executableTarget(name: "prty-wallet", dependencies: ["Shared", "CSecp256k1"], swiftSettings: swiftSettings),
        .executableTarget(name: "prty-fetch", dependencies: ["Shared"], swiftSettings: swiftSettings),
        .executableTarget(name: "prty-partition", dependencies: ["Shared"], swiftSettings: swiftSettings),
        .executableTarget(name: "prty-train", dependencies: ["Shared"], swiftSettings: swiftSettings),
        .executableTarget(name: "prty-exec", dependencies: ["Shared"], swiftSettings: swiftSettings),
        .executableTarget(name: "prty-runner", dependencies: ["Shared"], swiftSettings: swiftSettings),

        // MARK: Tests
        .target(
            name: "TestSupport", dependencies: ["Shared"], path: "Tests/TestSupport", exclude: ["peers"],
            swiftSettings: swiftSettings),
        .testTarget(name: "SharedTests", dependencies: ["Shared", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "WalletTests", dependencies: ["prty-wallet", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "FetchTests", dependencies: ["prty-fetch", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PartitionTests", dependencies: ["prty-partition", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TrainTests", dependencies: ["prty-train", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ExecTests", dependencies: ["prty-exec", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RunnerTests", dependencies: ["prty-runner", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "EndToEndTests", dependencies: ["Shared", "TestSupport"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
