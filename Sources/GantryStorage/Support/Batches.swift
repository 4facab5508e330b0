/// Splits work over many ids into statements of bounded size, so no statement exceeds a database's
/// limit on bound variables (SQLite's is the lowest).
enum Batches {
    /// The most values bound in one statement.
    static let size = 500

    /// `values` cut into consecutive slices of at most `size` elements (``size`` by default; less for rows that
    /// bind several values each).
    static func of<T>(_ values: [T], size: Int = Batches.size) -> [ArraySlice<T>] {
        stride(from: 0, to: values.count, by: size).map { values[$0..<min($0 + size, values.count)] }
    }
}
