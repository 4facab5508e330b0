import NIOCore
import NIOSSL

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// TLS to a master's worker port (`gantry worker --tls`), as buildbot-worker's `--use-tls` speaks it: the master's
/// certificate must come from a trusted CA and name the host connected to; the worker presents a certificate of
/// its own when given one, for a port that requires it.
///
/// The files are read once, when the worker starts, so that a mistake in them stops it at once rather than at
/// each connection attempt.
public struct WorkerTLS: Sendable {
    /// A file the worker's TLS cannot use; names the file, never what is in it.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let context: NIOSSLContext

    /// Reads the files.
    /// - Parameters:
    ///   - caFile: The CA certificates (PEM) the master's certificate is checked against; the system's trusted
    ///     CAs when `nil`.
    ///   - certificate: The worker's own certificate (PEM), with any intermediates after it.
    ///   - key: That certificate's private key (PEM, unencrypted); given with `certificate` or not at all.
    public init(caFile: String? = nil, certificate: String? = nil, key: String? = nil) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile {
            configuration.trustRoots = .certificates(try Self.certificates(caFile, "CA file"))
        }
        switch (certificate, key) {
        case (let certificate?, let key?):
            configuration.certificateChain = try Self.certificates(certificate, "certificate").map { .certificate($0) }
            configuration.privateKey = .privateKey(try Self.privateKey(key))
        case (nil, nil):
            break
        case (.some, nil), (nil, .some):
            throw Failure(description: "a client certificate needs its key, and a key its certificate")
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            guard let certificate, let key else { throw Failure(description: "cannot set up TLS: \(error)") }
            throw Failure(description: "the key '\(key)' does not belong to the certificate '\(certificate)'")
        }
    }

    /// The TLS handler of a connection to `host`: the master's certificate must name it (a DNS name, or for an
    /// IP address, that address).
    func makeHandler(host: String) throws -> NIOSSLClientHandler {
        // An address is not a server name: NIOSSL then checks the certificate against the address connected to.
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }

    private static func certificates(_ path: String, _ what: String) throws -> [NIOSSLCertificate] {
        let bytes = try contents(path, what)
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes), !certificates.isEmpty else {
            throw Failure(description: "the \(what) '\(path)' holds no PEM certificate")
        }
        return certificates
    }

    private static func privateKey(_ path: String) throws -> NIOSSLPrivateKey {
        let bytes = try contents(path, "key")
        guard let key = try? NIOSSLPrivateKey(bytes: bytes, format: .pem) else {
            throw Failure(description: "the key '\(path)' holds no unencrypted PEM private key")
        }
        return key
    }

    private static func contents(_ path: String, _ what: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "cannot read the \(what) '\(path)'")
        }
        return Array(data)
    }
}
