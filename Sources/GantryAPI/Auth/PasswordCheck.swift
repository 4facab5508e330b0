import Crypto
import Foundation
import GantryModel
import HummingbirdBcrypt
import NIOPosix

/// Checks a password against a user's bcrypt hash, on NIO's thread pool: a hash takes tens to hundreds of
/// milliseconds by design, which must not stall the threads serving requests.
enum PasswordCheck {
    /// A hash of nothing anyone knows, for a master without users.
    private static let decoy = "$2b$12$pX0wETU2YVIqMATNUkVGieNOhTvzzrBoYxoDGcp5Wka5LGXco99CG"

    /// Whether `password` is that of the user `name` among `settings`' users; false for an unknown user, which
    /// is checked against another user's hash first, so the answer takes as long as for a known user (of the
    /// same cost) and does not tell which user names exist.
    static func verify(_ password: String, user name: String, in settings: AuthSettings) async -> UserAccount? {
        let account = settings.users[name]
        let hash = account?.passwordHash ?? settings.users.values.map(\.passwordHash).max() ?? decoy
        let matches =
            (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
        return matches ? account : nil
    }

    /// What a session keeps of the password it was opened with: a digest of its hash, so that changing a user's
    /// password in the configuration ends the user's sessions.
    static func fingerprint(_ account: UserAccount) -> String {
        SHA256.hash(data: Data(account.passwordHash.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
