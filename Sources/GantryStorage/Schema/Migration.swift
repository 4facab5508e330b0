/// One step of the schema's history. Steps are applied in version order, each in its own transaction,
/// and never change once released: a new schema change is a new step.
struct Migration: Sendable {
    /// Its position in the history, from 1, without gaps.
    let version: Int
    /// A few words saying what it does.
    let summary: String
    /// The statements, written for both dialects; `Dialect` fills in the few places where they differ.
    let statements: @Sendable (Dialect) -> [String]
}
