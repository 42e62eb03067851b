import Shared

/// `prty-fetch`: verified retrieval of IPFS content from several gateways, turned into a Dataset document
/// (or handed on as the verified bytes); `prty-fetch add` computes the CIDs `ipfs add` would give.
@main
enum Fetch {
    static let command = Command(
        "prty-fetch", summary: "fetch IPFS content from several gateways, verify every block, print a Dataset",
        examples: [
            "prty-fetch QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o --raw",
            "prty-fetch ipfs://bafy… --gateway https://trustless-gateway.link --label-column species",
            "prty-fetch add data.csv",
            "prty-fetch parse data.csv --label-column species",
        ],
        subcommands: [Get.command, Add.command, Parse.command], defaultSubcommand: "get")

    static func main() async {
        await Tool.run(command) { invocation in
            switch invocation.subcommand.first {
            case "add": try Add(invocation.arguments).run(log: invocation.log)
            case "parse": try Parse(invocation.arguments).run(log: invocation.log)
            default: try await Get(invocation).run()
            }
        }
    }
}
