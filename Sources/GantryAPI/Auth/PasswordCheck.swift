import GantryModel
import HummingbirdBcrypt
import NIOPosix

/// Checks a password against a user's bcrypt hash, on NIO's thread pool: a hash takes tens to hundreds of
/// milliseconds by design, which must not stall the threads serving requests.
enum PasswordCheck {
    /// A hash of nothing anyone knows, checked for an unknown user so the answer takes as long as for a known
    /// one and does not tell which user names exist.
    private static let decoy = "$2b$12$pX0wETU2YVIqMATNUkVGieNOhTvzzrBoYxoDGcp5Wka5LGXco99CG"

    /// Whether `password` is `account`'s; false for no account.
    static func verify(_ password: String, for account: UserAccount?) async -> Bool {
        let hash = account?.passwordHash ?? decoy
        let matches =
            (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
        return matches && account != nil
    }
}
