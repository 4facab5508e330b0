/// How far one caller's retention passes got, kept between its passes so the next visits only the builds that
/// finished since: an hourly pass then costs what the hour added, not what the database holds.
public struct RetentionProgress: Sendable, Hashable {
    /// Every build that finished before this time (epoch seconds) had its logs emptied.
    var logsEmptiedBefore: Int?

    /// No pass yet: the first visits every build old enough.
    public init() {}
}
