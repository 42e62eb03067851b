/// The node's identity keys, read by prty-wallet (the staking key) and prty-runner (the server's runner key).
extension SettingKey {
    public static let runnerDeviceID = SettingKey(
        "RUNNER_DEVICE_ID", .string, default: "",
        doc: "this node's device id (the server's runner key and the on-chain staking key); "
            + "empty = ~/.parity/.device_id, created from /etc/machine-id on first use")

    static let identityKeys: [SettingKey] = [.runnerDeviceID]
}
