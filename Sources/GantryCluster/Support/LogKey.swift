/// Metadata keys of Gantry's structured logs, in one place so they stay consistent.
public enum LogKey {
    public static let master = "gantry.master.id"
    public static let service = "gantry.service"
    public static let epoch = "gantry.claim.epoch"
    public static let error = "gantry.error"
}
