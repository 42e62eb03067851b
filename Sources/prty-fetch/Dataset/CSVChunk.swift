import Shared

/// What one range of CSV lines parsed into (`DatasetBuilder+CSVRows.swift`); `assemble` joins them in order.
struct CSVChunk {
    var features: [Double] = []
    /// Indices into `features` of missing cells (`--missing drop|mean`).
    var missing: [Int] = []
    var labelNumbers: [Double] = []
    /// Label cells as fields (for string labels).
    var labelFields: [CSV.Field] = []
    var labelsNumeric = true
    /// Rows whose label is missing, and the line of the first.
    var missingLabels: [Int] = []
    var firstMissingLabelLine = 0
    var rows = 0
    var error: FetchError? = nil
}
