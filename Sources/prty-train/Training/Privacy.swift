import Foundation
import Shared

/// `privacy_config` after validation: local differential privacy on the update, as Flower's `LocalDpMod`
/// does it: clip the delta (local − start) to an L2 norm, then add Gaussian noise.
struct PrivacyConfig: Sendable, Equatable {
    var enabled: Bool
    /// The L2 bound on the whole delta (every tensor together).
    var l2NormClip: Double
    /// σ = noise_multiplier × l2_norm_clip.
    var noiseMultiplier: Double

    static let off = PrivacyConfig(enabled: false, l2NormClip: 0, noiseMultiplier: 0)

    var noiseScale: Double { noiseMultiplier * l2NormClip }

    var effective: JSON {
        enabled
            ? [
                "differential_privacy": true, "l2_norm_clip": .double(l2NormClip),
                "noise_multiplier": .double(noiseMultiplier),
            ]
            : ["differential_privacy": false]
    }
}

/// What the update reports under `privacy_metrics` (the server's field names). No privacy accountant runs
/// here, so `epsilon_used` is null rather than a number nothing backs.
struct PrivacyReport: Sendable, Equatable {
    var noiseScale: Double
    var clippingApplied: Bool

    var json: JSON {
        ["noise_scale": .double(noiseScale), "clipping_applied": .bool(clippingApplied), "epsilon_used": nil]
    }
}

enum Privacy {
    /// The global L2 norm over every tensor.
    static func norm(_ tensors: [String: [Double]]) -> Double {
        var sum = 0.0
        for name in tensors.keys.sorted() {
            for value in tensors[name]! { sum += value * value }
        }
        return sum.squareRoot()
    }

    /// Clips `delta` to `config.l2NormClip` (scaling every tensor by clip / norm when the norm exceeds it),
    /// then adds N(0, σ²) to every value, with σ = noise_multiplier × l2_norm_clip drawn from `noise`.
    static func apply(
        to delta: inout [String: [Double]], config: PrivacyConfig, noise: inout some RandomNumberGenerator
    ) -> PrivacyReport {
        let total = norm(delta)
        let clipped = total > config.l2NormClip
        let factor = clipped ? config.l2NormClip / total : 1
        let sigma = config.noiseScale
        for name in delta.keys.sorted() {
            var values = delta[name]!
            for index in values.indices {
                values[index] = values[index] * factor + (sigma > 0 ? sigma * gaussian(&noise) : 0)
            }
            delta[name] = values
        }
        return PrivacyReport(noiseScale: sigma, clippingApplied: clipped)
    }

    /// A standard normal draw (Box–Muller) from any generator.
    static func gaussian(_ generator: inout some RandomNumberGenerator) -> Double {
        var u1 = 0.0
        while u1 == 0 { u1 = Double(generator.next() >> 11) * 0x1.0p-53 }
        let u2 = Double(generator.next() >> 11) * 0x1.0p-53
        return (-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// The operating system's CSPRNG (getrandom(2) on Linux, arc4random on Darwin), through the standard
/// library's `SystemRandomNumberGenerator`. The one place prty-train draws unseeded randomness, on purpose:
/// noise that anyone could recompute from the session seed would protect nothing.
struct PrivacyNoise: RandomNumberGenerator {
    private var system = SystemRandomNumberGenerator()
    mutating func next() -> UInt64 { system.next() }
}
