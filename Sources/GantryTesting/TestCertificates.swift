public import Foundation

/// A throwaway PKI made with the `openssl` command for TLS tests: a CA, a server certificate for `localhost` and
/// `127.0.0.1`, and a client certificate, each with its unencrypted key, valid for two days.
public struct TestCertificates: Sendable {
    /// Where the files are.
    public let directory: URL

    /// The CA's certificate: what clients trust, and what a port requiring client certificates checks them against.
    public var ca: String { file("ca.pem") }
    public var serverCertificate: String { file("server.pem") }
    public var serverKey: String { file("server.key") }
    public var clientCertificate: String { file("client.pem") }
    public var clientKey: String { file("client.key") }

    /// The `openssl` executable on the `PATH`, if there is one.
    public static var openssl: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/openssl" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// The extensions of each certificate: what a strict verifier (Python's, OpenSSL's) asks for.
    private static let configuration = """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = Gantry test
        [ca]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        [server]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost, IP:127.0.0.1
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid
        [client]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = clientAuth
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid

        """

    /// Makes a new CA and its certificates in `directory` (created if missing); each call, a CA of its own.
    public static func make(in directory: URL) async throws -> TestCertificates {
        guard let openssl else { throw CocoaError(.executableNotLoadable) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try configuration.write(to: directory.appendingPathComponent("openssl.cnf"), atomically: true, encoding: .utf8)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await run(
            openssl,
            ["req", "-x509", "-config", "openssl.cnf", "-extensions", "ca", "-keyout", "ca.key", "-out", "ca.pem"]
                + key + ["-days", "2", "-subj", "/CN=Gantry test CA \(UUID().uuidString.prefix(8))"],
            in: directory)
        for name in ["server", "client"] {
            try await run(
                openssl,
                ["req", "-new", "-config", "openssl.cnf", "-keyout", "\(name).key", "-out", "\(name).csr"] + key
                    + ["-subj", "/CN=gantry-test-\(name)"],
                in: directory)
            try await run(
                openssl,
                [
                    "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-set_serial", "\(UInt32.random(in: 1...UInt32.max))", "-days", "2", "-out", "\(name).pem",
                    "-extfile", "openssl.cnf", "-extensions", name,
                ],
                in: directory)
        }
        return TestCertificates(directory: directory)
    }

    /// Runs `body` with new certificates in a directory of their own, removed afterwards.
    public static func with<T>(_ body: (TestCertificates) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-tls-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(try await make(in: directory))
    }

    private func file(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// Runs `openssl` in `directory`; what it printed is in `openssl.log` there.
    private static func run(_ openssl: String, _ arguments: [String], in directory: URL) async throws {
        let log = directory.appendingPathComponent("openssl.log")
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }
        try output.seekToEnd()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        process.standardOutput = output
        process.standardError = output
        let status = try await process.runUntilExit()
        guard status == 0 else {
            let printed = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw TestCertificatesError(command: (["openssl"] + arguments).joined(separator: " "), output: printed)
        }
    }
}

/// An `openssl` command of ``TestCertificates`` failed.
public struct TestCertificatesError: Error, CustomStringConvertible {
    public var command: String
    public var output: String

    public var description: String { "\(command) failed:\n\(output)" }
}
