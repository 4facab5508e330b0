import Crypto
import Foundation

/// The secrets Gantry hands out once (API tokens, session cookies) and the digests stored in their place.
///
/// A secret is 256 random bits, so a plain SHA-256 suffices: there is nothing to guess, unlike a password, and a
/// lookup by digest costs one index probe per request. Only digests are stored, and a secret is never logged: a
/// copy of the database, or of the logs, lets nobody in.
enum SecretDigest {
    /// A new secret: `prefix` (which says what the secret is, `gtk_` for a token) and 32 random bytes in base64url
    /// without padding.
    static func make(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    /// The SHA-256 of the UTF-8 secret, as 64 lowercase hex digits: what the database keeps.
    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
