/// The PEM files a TLS listener is configured with: what it presents to clients, and, optionally, the CA whose
/// certificates it requires clients to present. Paths are absolute once the configuration is loaded.
public struct TLSFiles: Sendable, Hashable {
    /// The server's certificate, followed by any intermediate certificates clients need to reach their root.
    public var certificate: String
    /// The certificate's private key, unencrypted (a master starts unattended).
    public var key: String
    /// When set, a client must present a certificate issued by a CA of this file, or its connection is refused.
    public var clientCA: String?

    public init(certificate: String, key: String, clientCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
    }
}
