import Shared

@main
enum Train {
    static let command = Command("prty-train", summary: "(being built)", examples: ["prty-train --help"])

    static func main() async {
        await Tool.run(command) { invocation in
            throw UsageError("prty-train is being built")
        }
    }
}
