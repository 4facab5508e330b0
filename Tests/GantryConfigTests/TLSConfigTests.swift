import GantryConfig
import GantryModel
import Testing

/// `http.tls` and `workerPort.tls`: PEM files, relative to the configuration's directory.
@Suite("ConfigLoader: tls")
struct TLSConfigTests {
    let loader = ConfigLoader(basedir: "/srv/gantry", hostname: "build1")

    @Test("the files are made absolute from the configuration's directory; absolute ones are kept")
    func paths() throws {
        let config = try loader.parse(
            """
            http: {address: "127.0.0.1:8443", tls: {certificate: tls/cert.pem, key: /etc/keys/key.pem}}
            workerPort:
              address: "127.0.0.1:9989"
              tls: {certificate: cert.pem, key: key.pem, clientCA: ../ca/workers.pem}
            """)
        #expect(config.httpTLS == TLSFiles(certificate: "/srv/gantry/tls/cert.pem", key: "/etc/keys/key.pem"))
        #expect(
            config.workerPort.tls
                == TLSFiles(
                    certificate: "/srv/gantry/cert.pem", key: "/srv/gantry/key.pem", clientCA: "/srv/ca/workers.pem"))
    }

    @Test("a local pool's workers cannot reach a worker port that serves TLS only")
    func localPool() {
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                builders: [{name: b1}]
                workerPort: {tls: {certificate: cert.pem, key: key.pem}}
                pools: [{name: here, builders: [b1], maxWorkers: 2}]
                """)
        }
        #expect(
            error?.problems.map(\.description) == [
                "pools: pool 'here' starts local workers, which connect without TLS, but the worker port serves TLS "
                    + "only (workerPort.tls)"
            ])
    }

    @Test("without tls, both listeners are plain")
    func absent() throws {
        let config = try loader.parse("http: 127.0.0.1:8010")
        #expect(config.httpTLS == nil)
        #expect(config.workerPort.tls == nil)
    }

    @Test("a missing file, an unknown key, a client CA for the HTTP API and a scalar are located and explained")
    func errors() {
        let error = #expect(throws: ConfigError.self) {
            try loader.parse(
                """
                http: {address: "127.0.0.1:8443", tls: {certificate: cert.pem, clientCA: ca.pem}}
                workerPort: {tls: cert.pem}
                """)
        }
        let problems = error?.problems.map(\.description) ?? []
        #expect(problems.contains("http.tls.clientCA: unknown key (expected one of: certificate, key)"), "\(problems)")
        #expect(
            problems.contains("http.tls.key: is required: the PEM file of the certificate's key"), "\(problems)")
        #expect(
            problems.contains("workerPort.tls: must be a mapping of certificate, key, clientCA (PEM files)"),
            "\(problems)")

        let empty = #expect(throws: ConfigError.self) {
            try loader.parse("workerPort: {tls: {key: key.pem, certificate: \"\", extra: 1}}")
        }
        #expect(
            empty?.problems.map(\.description).sorted() == [
                "workerPort.tls.certificate: must be a non-empty string",
                "workerPort.tls.extra: unknown key (expected one of: certificate, clientCA, key)",
            ])
    }

    @Test("the files print in the configuration's description; they hold no secret, only where the key is")
    func description() throws {
        let config = try loader.parse("http: {address: \"127.0.0.1:8443\", tls: {certificate: c.pem, key: k.pem}}")
        #expect(String(describing: config).contains("/srv/gantry/k.pem"))
    }
}
