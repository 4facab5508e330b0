import Foundation
public import GantryModel
public import NIOSSL
import Synchronization

/// What one TLS listener (the HTTP API, the worker port) presents to its clients, and which client certificates it
/// requires; every connection accepted takes its handler from here.
///
/// The files are read whole when the context is made and again on ``reload(_:)`` (the master's SIGHUP), so that a
/// renewed certificate is served to new connections without a restart; connections already open keep the one
/// they began with. A reload that fails keeps the previous certificate: a master never stops serving TLS, or
/// starts serving an unchecked one, because a file was being rewritten when it looked.
///
/// Errors name the file and what was wrong with it; they never hold key material.
public final class TLSServerContext: Sendable {
    private struct Loaded: Sendable {
        var files: TLSFiles
        var context: NIOSSLContext
    }

    private let current: Mutex<Loaded>

    /// Reads `files`.
    /// - Throws: `GantryError.invalidArgument` naming the file that cannot be read or used.
    public init(_ files: TLSFiles) throws {
        current = Mutex(Loaded(files: files, context: try Self.makeContext(files)))
    }

    /// The files the certificate now served was read from.
    public var files: TLSFiles { current.withLock { $0.files } }

    /// Reads `files` (the same paths or new ones) and serves them to connections accepted from now on.
    /// - Throws: `GantryError.invalidArgument` naming the file that cannot be read or used; the certificate
    ///   served stays the one read before.
    public func reload(_ files: TLSFiles) throws {
        let context = try Self.makeContext(files)
        current.withLock { $0 = Loaded(files: files, context: context) }
    }

    /// The TLS handler of a connection just accepted, to go first in its pipeline.
    public func makeHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: current.withLock { $0.context })
    }

    /// A context serving `files`: TLS 1.2 at least, and with a client CA, a client certificate issued by it
    /// required (its name is not checked: clients have no host name to match).
    private static func makeContext(_ files: TLSFiles) throws -> NIOSSLContext {
        let chain = try certificates(files.certificate, "TLS certificate")
        let key = try privateKey(files.key)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA = files.clientCA {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try certificates(clientCA, "client CA"))
            // Clients holding several certificates pick the one this CA issued.
            configuration.sendCANameList = true
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw GantryError(
                .invalidArgument,
                "the TLS key '\(files.key)' does not belong to the certificate '\(files.certificate)'",
                underlying: error)
        }
    }

    /// The PEM certificates of `path`, in their order (a server's own first, then its intermediates).
    private static func certificates(_ path: String, _ what: String) throws -> [NIOSSLCertificate] {
        let bytes = try contents(path, what)
        do {
            return try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw GantryError(.invalidArgument, "the \(what) '\(path)' holds no PEM certificate", underlying: error)
        }
    }

    private static func privateKey(_ path: String) throws -> NIOSSLPrivateKey {
        let bytes = try contents(path, "TLS key")
        do {
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem)
        } catch {
            // BoringSSL's errors say nothing of the key's content.
            throw GantryError(
                .invalidArgument, "the TLS key '\(path)' holds no unencrypted PEM private key", underlying: error)
        }
    }

    private static func contents(_ path: String, _ what: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GantryError(.invalidArgument, "cannot read the \(what) '\(path)'")
        }
        return Array(data)
    }
}
