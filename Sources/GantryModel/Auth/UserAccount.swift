/// A user who logs in with a password: from the configuration's `auth.users` or its htpasswd file.
public struct UserAccount: Sendable, Hashable {
    public var name: String
    /// A bcrypt hash, `$2y$` already rewritten to the equivalent `$2b$`.
    public var passwordHash: String
    public var roles: Set<String>
    public var groups: Set<String>

    public init(name: String, passwordHash: String, roles: Set<String> = [], groups: Set<String> = []) {
        self.name = name
        self.passwordHash = passwordHash
        self.roles = roles
        self.groups = groups
    }

    /// Whether `name` can be a user's name: not empty, and without `:` (HTTP Basic's and htpasswd's separator) or
    /// control characters.
    package static func isValidName(_ name: String) -> Bool {
        !name.isEmpty
            && !name.unicodeScalars.contains { $0 == ":" || $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// `text` as a bcrypt hash a verifier takes (`$2a$` or `$2b$`, cost 04 to 31, 53 characters of salt and
    /// digest), with `$2y$` (PHP's and htpasswd's name for `$2b$`) rewritten; `nil` when it is not one.
    package static func bcryptHash(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 60, bytes.starts(with: "$2".utf8), "aby".utf8.contains(bytes[2]),
            bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
            bytes[4...5].allSatisfy({ "0123456789".utf8.contains($0) }),
            let cost = Int(String(decoding: bytes[4...5], as: UTF8.self)), (4...31).contains(cost),
            bytes[7...].allSatisfy({ bcryptAlphabet.contains($0) })
        else { return nil }
        return bytes[2] == UInt8(ascii: "y") ? "$2b" + String(text.dropFirst(3)) : text
    }

    /// The characters of bcrypt's salt and digest: its own base64 alphabet.
    private static let bcryptAlphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
}

/// The password hash prints as `****`: accounts end up in the printed configuration.
extension UserAccount: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "name": name, "passwordHash": Redaction.mask, "roles": roles.sorted(), "groups": groups.sorted(),
            ],
            displayStyle: .struct)
    }

    public var description: String { Redaction.describe(customMirror) }

    public var debugDescription: String { description }
}
