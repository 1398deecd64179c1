/// Aligned columns for human output: every column is padded to its widest cell, separated by
/// two spaces, with trailing spaces trimmed.
struct TextTable {
    private var rows: [[String]] = []

    /// Adds a row of cells.
    mutating func add(_ cells: [String]) {
        rows.append(cells)
    }

    /// Adds a row of cells.
    mutating func add(_ cells: String...) {
        rows.append(cells)
    }

    /// The table as lines of text.
    var lines: [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return rows.map { row in
            var line = ""
            for (index, cell) in row.enumerated() {
                let isLast = index == row.count - 1
                line += isLast ? cell : ArgumentParser.pad(cell, widths[index]) + "  "
            }
            return String(line.reversed().drop(while: { $0 == " " }).reversed())
        }
    }
}
