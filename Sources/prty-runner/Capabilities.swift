import Foundation
import Shared

/// What the node offers the server at registration: `model_capabilities` exactly as `prty-exec models` reports
/// them (exact tags), narrowed to `RUNNER_LLM_MODELS` when set.
enum Capabilities {
    static func discover(_ config: NodeConfig, log: Log) async -> [JSON] {
        let child = Subprocess(
            config.tool("prty-exec"), ["models", "--log-format", "json"],
            environment: config.childEnvironment.merging(config.execSecrets) { $1 },
            timeout: 30)
        guard let result = try? await child.run(), result.succeeded,
            let document = try? JSONParser.parse(result.stdout),
            let models = document["model_capabilities"]?.arrayValue
        else {
            log.warning("models_unavailable", "prty-exec models reported no models; registering without LLM models")
            return []
        }
        return filter(models, allowed: config.llmModels)
    }

    static func filter(_ models: [JSON], allowed: [String]) -> [JSON] {
        guard !allowed.isEmpty else { return models }
        return models.filter { allowed.contains($0["model_name"]?.stringValue ?? "") }
    }
}

/// The wallet address, from `prty-wallet address` (it reads the keystore's address without a password).
enum WalletAddress {
    static func read(_ config: NodeConfig) async throws -> String {
        let child = Subprocess(
            config.tool("prty-wallet"), ["address", "--log-format", "json"], environment: config.childEnvironment,
            timeout: 30)
        let result: Subprocess.Result
        do {
            result = try await child.run()
        } catch let error as SubprocessError {
            throw RunnerError.walletAddress(
                "cannot run prty-wallet to read the wallet address: \(error) (set PRTY_BIN_DIR)")
        }
        if result.status == 78 {
            throw RunnerError.walletAddress(
                "no wallet key: run 'prty-wallet auth --private-key HEX' (or 'prty-runner auth …') first")
        }
        guard result.succeeded, let document = try? JSONParser.parse(result.stdout),
            let address = document["address"]?.stringValue, address.hasPrefix("0x"), address.count == 42
        else {
            let why = Pipeline.lastError(result.stderr) ?? "\(result.termination)"
            throw RunnerError.walletAddress("prty-wallet address failed: \(why)")
        }
        return address
    }
}
