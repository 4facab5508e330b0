extension Int {
    /// `self + other`, held at `Int.max` or `Int.min` instead of trapping: paging and line arithmetic on numbers
    /// a request chose (`offset=1&limit=9223372036854775807`) must never stop the process.
    public func addingSaturated(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}
