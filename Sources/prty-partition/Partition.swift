import Shared

@main
enum Partition {
    static let command = Command("prty-partition", summary: "(being built)", examples: ["prty-partition --help"])

    static func main() async {
        await Tool.run(command) { invocation in
            throw UsageError("prty-partition is being built")
        }
    }
}
