import Crypto

/// Buildbot's `name_hash`: the SHA-1 of the UTF-8 name, as 40 lowercase hex digits.
///
/// Masters, builders, schedulers and change sources are looked up by it, so long names index well.
enum NameHash {
    static func of(_ name: String) -> String {
        Insecure.SHA1.hash(data: Array(name.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
