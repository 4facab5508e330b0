import Foundation

/// The HTTP Basic credentials of a worker's upgrade request.
enum UpgradeAuthorization: Equatable {
    case missing
    /// Not `Basic`, not base64, or no colon: answered 400.
    case malformed
    case credentials(name: String, password: String)

    init(header: String?) {
        guard let header else {
            self = .missing
            return
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
            let text = String(data: decoded, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else {
            self = .malformed
            return
        }
        // The password may hold colons; the name may not.
        self = .credentials(name: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }
}

/// Compares two secrets in time that depends on their lengths only, never on where they differ.
func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
    let left = Array(lhs.utf8)
    let right = Array(rhs.utf8)
    var difference: UInt8 = left.count == right.count ? 0 : 1
    for index in 0..<max(left.count, right.count) {
        difference |= (index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0)
    }
    return difference == 0
}
