import GantryModel

/// The users of an htpasswd file as `htpasswd -B` writes it: `name:hash` lines, `#` comments and blank lines.
///
/// Only bcrypt hashes are taken. A line that is not one is reported by its number alone: it may hold a password
/// in the clear, or an old hash as weak as one.
struct Htpasswd {
    /// A line that could not be taken, and why.
    struct Problem: Equatable {
        var line: Int
        var message: String
    }

    /// The file's users in file order, without roles or groups: `auth.roles` grants them.
    var accounts: [UserAccount] = []
    var problems: [Problem] = []

    init(parsing text: String) {
        var seen: [String: Int] = [:]
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = offset + 1
            let content = line.drop(while: { $0 == " " || $0 == "\t" })
            if content.isEmpty || content.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                problems.append(Problem(line: number, message: "is not name:hash"))
                continue
            }
            let name = String(line[..<colon])
            guard UserAccount.isValidName(name) else {
                problems.append(Problem(line: number, message: "has no valid user name"))
                continue
            }
            guard let hash = UserAccount.bcryptHash(String(line[line.index(after: colon)...])) else {
                problems.append(
                    Problem(line: number, message: "is not a bcrypt hash; only bcrypt is accepted (htpasswd -B)"))
                continue
            }
            if let first = seen[name] {
                problems.append(Problem(line: number, message: "repeats the user of line \(first)"))
                continue
            }
            seen[name] = number
            accounts.append(UserAccount(name: name, passwordHash: hash))
        }
    }
}
