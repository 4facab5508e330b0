/// Which of a worker's environment variables its info (`environ`) may show: anyone may read a worker's info
/// through the workers API, so neither the secret store's variables nor any whose name suggests a credential.
/// The native worker leaves them out; the master drops them from what any worker reports.
public enum WorkerEnviron {
    /// Variables of the secret store (`%(secret:NAME)s` from the environment).
    public static let secretPrefix = "GANTRY_SECRET_"
    /// Parts of names, ignoring case, of variables never shown.
    public static let hiddenNameParts = ["PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL"]

    /// Whether variable `name` may be shown: not the secret store's, and naming none of `hidden`.
    public static func shows(_ name: String, hiding hidden: [String] = hiddenNameParts) -> Bool {
        let name = name.uppercased()
        return !name.hasPrefix(secretPrefix) && !hidden.contains { name.contains($0.uppercased()) }
    }
}
