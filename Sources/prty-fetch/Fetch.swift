import Shared

@main
enum Fetch {
    static let command = Command("prty-fetch", summary: "(being built)", examples: ["prty-fetch --help"])

    static func main() async {
        await Tool.run(command) { invocation in
            throw UsageError("prty-fetch is being built")
        }
    }
}
