import Crypto
import Foundation
import NIOCore

/// GitHub's `X-Hub-Signature-256`, checked over the body as it arrives, so a body is hashed once and never kept
/// twice.
struct SignatureCheck: Sendable {
    private let expected: [UInt8]
    private var authenticator: HMAC<SHA256>

    /// - Throws: 403 when `header` is missing or is not `sha256=` and 64 hex digits: refused before any body.
    init(header: String?, secret: String) throws(ChangeHookRefusal) {
        guard let header, header.hasPrefix("sha256="), let expected = Hex.bytes(header.dropFirst(7)),
            expected.count == SHA256.byteCount
        else { throw .forbidden("missing or malformed X-Hub-Signature-256") }
        self.expected = expected
        self.authenticator = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
    }

    /// Adds the next part of the body.
    mutating func update(_ part: ByteBuffer) {
        part.withUnsafeReadableBytes { authenticator.update(data: $0) }
    }

    /// - Throws: 403 unless the parts given so far are the body the header signed (compared in constant time).
    func verify() throws(ChangeHookRefusal) {
        guard authenticator.finalize() == expected else {
            throw .forbidden("X-Hub-Signature-256 does not match the body")
        }
    }
}
