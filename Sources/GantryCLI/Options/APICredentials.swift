import Foundation
import GantryCommandLine

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The API token a command sends to a master (`Authorization: Bearer`): `GANTRY_TOKEN`, else the first line of
/// the token file, which must be private to its owner, as ssh wants of a key.
struct APICredentials: Sendable {
    /// The secret; never printed.
    let token: String
    /// Where it came from, to name in messages: `GANTRY_TOKEN` or the file's path.
    let origin: String

    /// The value of the `Authorization` header.
    var authorization: String { "Bearer \(token)" }

    /// The token to send, or `nil` when there is none.
    /// - Parameter file: `--token-file`: it must exist. Without it, the default file is read when it exists.
    /// - Throws: `CommandFailure` for a token file that cannot be read, is empty, or is readable by others.
    static func find(
        file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> APICredentials? {
        if let token = environment["GANTRY_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty {
            return APICredentials(token: token, origin: "GANTRY_TOKEN")
        }
        let path = file ?? defaultFile(environment: environment)
        guard file != nil || FileManager.default.fileExists(atPath: path) else { return nil }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CommandFailure("cannot read the token file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o044 == 0 else {
            throw CommandFailure(
                "the token file \(path) is readable by others: make it private with 'chmod 600 \(path)'")
        }
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CommandFailure("cannot read the token file \(path): \(error.localizedDescription)")
        }
        let token = contents.split(whereSeparator: \.isNewline).first.map(String.init)?
            .trimmingCharacters(in: .whitespaces)
        guard let token, !token.isEmpty else { throw CommandFailure("the token file \(path) is empty") }
        return APICredentials(token: token, origin: path)
    }

    /// `$XDG_CONFIG_HOME/gantry/token`, else `~/.config/gantry/token`.
    static func defaultFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            return config + "/gantry/token"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.config/gantry/token"
    }

    /// The failure to report for an answer that refused the caller (401, or 403 to a token), saying what to do;
    /// `nil` for any other answer, which the command reports in its own words.
    /// - Parameters:
    ///   - message: The master's own words.
    ///   - sent: The credentials the request carried.
    static func refusal(status: Int, message: String, sent: APICredentials?) -> CommandFailure? {
        switch (status, sent) {
        case (401, nil):
            return CommandFailure(
                "the master requires a token: set GANTRY_TOKEN, or write one to \(defaultFile()) (mode 600); "
                    + "'gantry tokens create' makes one (\(message))")
        case (401, let sent?):
            return CommandFailure("the master refused the token from \(sent.origin): \(message)")
        case (403, _?):
            return CommandFailure("the token's roles do not allow this: \(message)")
        default:
            return nil
        }
    }
}
