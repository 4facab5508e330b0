import Hummingbird
import NIOCore

/// Why a hook request's body was not read in full.
enum HookBodyFailure: Error {
    /// More than the limit arrived.
    case tooLarge
    /// The framing was broken (a malformed chunk), or the connection ended before the announced length.
    case unreadable
}

/// A change hook's body, read as it arrives.
enum HookBody {
    /// The bytes of `body`, each part also fed to `signature`; reading stops at the first part past `limit`.
    /// - Parameter declaredLength: The request's `Content-Length`; a body ending short of it is unreadable.
    static func read(
        _ body: RequestBody,
        declaredLength: Int?,
        limit: Int,
        signature: inout SignatureCheck?
    ) async throws(HookBodyFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        var parts = body.makeAsyncIterator()
        while true {
            let next: ByteBuffer?
            do {
                next = try await parts.next()
            } catch {
                throw .unreadable
            }
            guard let part = next else { break }
            guard part.readableBytes <= limit - bytes.count else { throw .tooLarge }
            signature?.update(part)
            bytes.append(contentsOf: part.readableBytesView)
        }
        if let declaredLength, bytes.count != declaredLength { throw .unreadable }
        return bytes
    }
}
