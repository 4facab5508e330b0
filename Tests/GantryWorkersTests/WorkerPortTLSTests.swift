import Foundation
import GantryModel
import GantryTLS
import GantryTesting
import GantryWire
import GantryWorkers
import Testing

/// The worker port serving TLS, with certificates the `openssl` command makes for each test.
@Suite(
    "TLS on the worker port", .paced,
    .enabled(if: TestCertificates.openssl != nil, "no openssl command to make certificates with"),
    .timeLimit(.minutes(2))
)
struct WorkerPortTLSTests {
    static let passwords = ["wk": "pw"]

    @Test("a file that is missing, not PEM, or the key of another certificate is refused, naming only the file")
    func unusableFiles() async throws {
        try await TestCertificates.with { certs in
            let missing = certs.directory.appendingPathComponent("missing.pem").path
            let cases: [(TLSFiles, String)] = [
                (
                    TLSFiles(certificate: missing, key: certs.serverKey),
                    "cannot read the TLS certificate '\(missing)'"
                ),
                (
                    TLSFiles(certificate: certs.serverKey, key: certs.serverKey),
                    "the TLS certificate '\(certs.serverKey)' holds no PEM certificate"
                ),
                (
                    TLSFiles(certificate: certs.serverCertificate, key: certs.serverCertificate),
                    "the TLS key '\(certs.serverCertificate)' holds no unencrypted PEM private key"
                ),
                (
                    TLSFiles(certificate: certs.serverCertificate, key: certs.clientKey),
                    "the TLS key '\(certs.clientKey)' does not belong to the certificate '\(certs.serverCertificate)'"
                ),
                (
                    TLSFiles(certificate: certs.serverCertificate, key: certs.serverKey, clientCA: missing),
                    "cannot read the client CA '\(missing)'"
                ),
            ]
            let keys = try [certs.serverKey, certs.clientKey].map { try String(contentsOfFile: $0, encoding: .utf8) }
            // A line of each key's base64 body: neither may show up in any text of the errors.
            let keyLines = keys.compactMap { $0.split(separator: "\n").dropFirst().first.map(String.init) }
            for (files, message) in cases {
                let error = #expect(throws: GantryError.self) { try TLSServerContext(files) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message == message)
                let texts = [error?.description ?? "", String(reflecting: error)]
                #expect(!keyLines.contains { line in texts.contains { $0.contains(line) } })
            }
        }
    }

    @Test("a client speaking plain HTTP gets no answer: the connection is closed")
    func plainClient() async throws {
        try await TestCertificates.with { certs in
            let tls = try TLSServerContext(TLSFiles(certificate: certs.serverCertificate, key: certs.serverKey))
            try await WorkerPortHarness.withPort(passwords: Self.passwords, tls: tls) { harness in
                let connection = try RawConnection(port: harness.number)
                defer { connection.close() }
                #expect(try await connection.upgrade(name: "wk", password: "pw") == nil)
                #expect(try await connection.waitForClose())
                #expect(harness.port.refusedUpgrades == 0, "never read as HTTP")
                #expect(await waitUntil { harness.port.unauthenticatedConnections == 0 })
            }
        }
    }

    @Test("a connection that never finishes its handshake is closed once the upgrade timeout passes")
    func unfinishedHandshake() async throws {
        try await TestCertificates.with { certs in
            let tls = try TLSServerContext(TLSFiles(certificate: certs.serverCertificate, key: certs.serverKey))
            let limits = WorkerPortLimits(upgradeTimeout: .milliseconds(300), idleTimeout: .seconds(60))
            try await WorkerPortHarness.withPort(passwords: Self.passwords, limits: limits, tls: tls) { harness in
                let connection = try RawConnection(port: harness.number)
                defer { connection.close() }
                // The header of a handshake record of 512 bytes, and the first of them.
                try await connection.write([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc])
                #expect(try await connection.waitForClose(within: .seconds(15)), "long before the idle timeout")
                #expect(await waitUntil { harness.port.unauthenticatedConnections == 0 })
            }
        }
    }

    @Test("with a client CA, only a client presenting a certificate that CA issued is upgraded")
    func clientCertificates() async throws {
        try await TestCertificates.with { certs in
            let other = try await TestCertificates.make(in: certs.directory.appendingPathComponent("other"))
            let tls = try TLSServerContext(
                TLSFiles(certificate: certs.serverCertificate, key: certs.serverKey, clientCA: certs.ca))
            try await WorkerPortHarness.withPort(passwords: Self.passwords, tls: tls) { harness in
                let without = await TLSProbe.upgrade(port: harness.number, trusting: certs.ca)
                #expect(without.failed, "\(without)")
                let foreign = await TLSProbe.upgrade(
                    port: harness.number, trusting: certs.ca, certificate: other.clientCertificate,
                    key: other.clientKey)
                #expect(foreign.failed, "\(foreign)")
                let issued = await TLSProbe.upgrade(
                    port: harness.number, trusting: certs.ca, certificate: certs.clientCertificate,
                    key: certs.clientKey)
                #expect(issued == .status(101))
                let wrongPassword = await TLSProbe.upgrade(
                    port: harness.number, trusting: certs.ca, certificate: certs.clientCertificate,
                    key: certs.clientKey, password: "wrong")
                #expect(wrongPassword == .status(401), "a certificate does not replace the password")
            }
        }
    }

    @Test("a reload serves the new certificate to new connections; one that fails keeps the certificate served")
    func reload() async throws {
        try await TestCertificates.with { first in
            let second = try await TestCertificates.make(in: first.directory.appendingPathComponent("second"))
            let tls = try TLSServerContext(TLSFiles(certificate: first.serverCertificate, key: first.serverKey))
            try await WorkerPortHarness.withPort(passwords: Self.passwords, tls: tls) { harness in
                #expect(await TLSProbe.upgrade(port: harness.number, trusting: first.ca) == .status(101))

                let renewed = TLSFiles(certificate: second.serverCertificate, key: second.serverKey)
                try tls.reload(renewed)
                #expect(await TLSProbe.upgrade(port: harness.number, trusting: first.ca).failed)
                #expect(await TLSProbe.upgrade(port: harness.number, trusting: second.ca) == .status(101))

                #expect(throws: GantryError.self) {
                    try tls.reload(TLSFiles(certificate: second.serverCertificate, key: first.serverKey))
                }
                #expect(tls.files == renewed)
                #expect(await TLSProbe.upgrade(port: harness.number, trusting: second.ca) == .status(101))

                // The same paths with new contents: a reload reads them again.
                for (from, to) in [(first.serverCertificate, renewed.certificate), (first.serverKey, renewed.key)] {
                    try FileManager.default.removeItem(atPath: to)
                    try FileManager.default.copyItem(atPath: from, toPath: to)
                }
                try tls.reload(renewed)
                #expect(await TLSProbe.upgrade(port: harness.number, trusting: first.ca) == .status(101))
            }
        }
    }
}
