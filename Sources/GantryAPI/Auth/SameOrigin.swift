import Foundation
import Hummingbird

/// Whether a browser's `Origin` names the host a request was sent to: how a request from this master's own pages
/// is told from one another site's page made the browser send.
enum SameOrigin {
    /// `origin` (`https://ci.example.com:8443`) against the request's `Host`, by host and port.
    static func matches(_ origin: String, _ request: Request) -> Bool {
        guard let host = request.head.authority, let url = URL(string: origin), let originHost = url.host else {
            return false
        }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority.lowercased() == host.lowercased()
    }
}
