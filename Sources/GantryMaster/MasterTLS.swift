import GantryConfig
import GantryModel
import GantryTLS
import Logging

/// The TLS of the master's two listeners, the HTTP API and the worker port: read when the master starts, and again
/// from the reloaded configuration's files on each reload, so that renewed certificates are served without a
/// restart. Turning TLS on or off takes a restart.
struct MasterTLS: Sendable {
    /// The HTTP API's; plain HTTP when `nil`.
    let http: TLSServerContext?
    /// The worker port's; plain TCP when `nil`.
    let workerPort: TLSServerContext?

    /// Reads the files `configuration` names.
    /// - Throws: `GantryError.invalidArgument` naming the setting and the file that cannot be used: a master
    ///   configured for TLS refuses to start without it.
    init(_ configuration: MasterConfig) throws {
        http = try configuration.httpTLS.map { try Self.load($0, "http.tls") }
        workerPort = try configuration.workerPort.tls.map { try Self.load($0, "workerPort.tls") }
    }

    /// Reads the files `next` names (the same paths or new ones); one that cannot be used is logged, and its
    /// listener keeps the certificate it serves.
    func reload(_ next: MasterConfig, logger: Logger) {
        Self.reload(http, from: next.httpTLS, "http.tls", logger: logger)
        Self.reload(workerPort, from: next.workerPort.tls, "workerPort.tls", logger: logger)
    }

    /// The TLS keys of a reload that take effect only at a restart: TLS turned on or off.
    static func restartOnlyKeys(_ old: MasterConfig, _ new: MasterConfig) -> [String] {
        var keys: [String] = []
        if (old.httpTLS == nil) != (new.httpTLS == nil) { keys.append("http.tls") }
        if (old.workerPort.tls == nil) != (new.workerPort.tls == nil) { keys.append("workerPort.tls") }
        return keys
    }

    private static func reload(_ context: TLSServerContext?, from files: TLSFiles?, _ key: String, logger: Logger) {
        guard let context, let files else { return }
        do {
            try context.reload(files)
            logger.info(
                "TLS certificate reloaded",
                metadata: [LogKey.configKeys: "\(key)", LogKey.tlsCertificate: "\(files.certificate)"])
        } catch {
            logger.error(
                "TLS certificate not reloaded; the one served stays",
                metadata: [LogKey.configKeys: "\(key)", LogKey.error: "\(error)"])
        }
    }

    private static func load(_ files: TLSFiles, _ key: String) throws -> TLSServerContext {
        do {
            return try TLSServerContext(files)
        } catch let error as GantryError {
            throw GantryError(error.code, "\(key): \(error.message)", underlying: error)
        }
    }
}

extension WorkerPortConfig {
    /// The settings but TLS, which a reload reads again in place (``MasterTLS/restartOnlyKeys(_:_:)`` reports it
    /// turned on or off): a change of the rest takes a restart.
    var withoutTLS: WorkerPortConfig {
        var settings = self
        settings.tls = nil
        return settings
    }
}
