/// The CSV's shape, fixed by its first row: how many columns, which is the label, and the header's names.
struct CSVLayout {
    let columns: Int
    let label: Int
    let names: [String]?

    func describe(_ column: Int) -> String {
        if let names { return "column \(column + 1) ('\(names[column])')" }
        return "column \(column + 1)"
    }
}
