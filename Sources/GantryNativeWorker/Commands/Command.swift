import GantryWire

/// A remote command the worker implements, with the arguments it cannot start without.
struct Command: Sendable {
    let name: String
    let required: [String]
    /// Runs to the end; the failure text when it raised (sent as `complete`'s args), else nil.
    let run: @Sendable (CommandContext) async -> String?

    /// The required arguments `args` lacks, if any (a present nil counts as given, as in Buildbot).
    func missing(in args: MessagePackValue) -> [String]? {
        let missing = required.filter { args[$0] == nil }
        return missing.isEmpty ? nil : missing
    }
}

/// Every command of the protocol, by the names a master uses (Buildbot's camel-case aliases included).
enum Commands {
    static let all: [Command] = [
        shell, uploadFile, uploadDirectory, downloadFile, mkdir, rmdir, cpdir, stat, glob, listdir, rmfile,
    ]
    private static let aliases = [
        "uploadFile": "upload_file", "uploadDirectory": "upload_directory", "downloadFile": "download_file",
    ]

    static func named(_ name: String) -> Command? {
        let name = aliases[name] ?? name
        return all.first { $0.name == name }
    }

    /// `worker_commands` of the worker info: every name, aliases too, at Buildbot's command-set version.
    static var versions: MessagePackValue {
        .map((all.map(\.name) + aliases.keys.sorted()).map { .init(.string($0), "3.3") })
    }
}
