import Foundation
import GantryModel
import Testing

@testable import GantryPools

/// The Docker provisioner's calls as the engine sees them, and its answers as the pool sees them; no socket needed.
@Suite("Docker engine")
struct DockerEngineTests {
    let request = InstanceRequest(
        name: "c-1", password: "hunter2", master: "10.231.0.1:9989",
        labels: [
            InstanceLabel.cluster: "prod", InstanceLabel.pool: "c", InstanceLabel.worker: "c-1",
            InstanceLabel.master: "m1", InstanceLabel.epoch: "7",
        ])

    /// The JSON a create sends, as a dictionary.
    private func createBody(_ settings: DockerSettings, _ request: InstanceRequest) throws -> [String: Any] {
        let data = try JSONEncoder().encode(DockerEngine.ContainerSpec(settings: settings, request: request))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("a create sends the image, command, environment, labels and host settings")
    func create() throws {
        let settings = DockerSettings(
            socket: "/run/p.sock", image: "gantry-worker:test", command: ["gantry", "worker"],
            environment: ["ZONE": "a", "CACHE": "/cache", "WORKER_NAME": "spoofed"],
            mounts: ["/srv/cache:/cache", "/etc/ssl/certs:/etc/ssl/certs:ro"], network: "host",
            memoryBytes: 512 << 20, cpus: 1.5, labels: ["team": "infra", InstanceLabel.pool: "spoofed"])
        let body = try createBody(settings, request)
        #expect(body["Image"] as? String == "gantry-worker:test")
        #expect(body["Cmd"] as? [String] == ["gantry", "worker"])
        #expect(
            body["Env"] as? [String] == [
                "CACHE=/cache", "ZONE=a", "WORKER_NAME=c-1", "WORKER_PASSWORD=hunter2", "MASTER_URL=10.231.0.1:9989",
            ])
        #expect(
            body["Labels"] as? [String: String] == [
                "team": "infra", "gantry.cluster": "prod", "gantry.pool": "c", "gantry.worker": "c-1",
                "gantry.master": "m1", "gantry.epoch": "7",
            ])
        let host = try #require(body["HostConfig"] as? [String: Any])
        #expect(host["NetworkMode"] as? String == "host")
        #expect(host["Binds"] as? [String] == ["/srv/cache:/cache", "/etc/ssl/certs:/etc/ssl/certs:ro"])
        #expect(host["Memory"] as? Int == 512 << 20)
        #expect(host["NanoCpus"] as? Int == 1_500_000_000)
        #expect(host["Init"] as? Bool == true)
    }

    @Test("without a command, network or limits, the engine's defaults are left alone; the worker is labelled")
    func defaults() throws {
        let body = try createBody(
            DockerSettings(image: "w"), InstanceRequest(name: "c-2", password: "p", master: "127.0.0.1:9989"))
        #expect(body["Cmd"] == nil)
        #expect(body["Env"] as? [String] == ["WORKER_NAME=c-2", "WORKER_PASSWORD=p", "MASTER_URL=127.0.0.1:9989"])
        #expect(body["Labels"] as? [String: String] == ["gantry.worker": "c-2"])
        let host = try #require(body["HostConfig"] as? [String: Any])
        #expect(host["NetworkMode"] == nil && host["Memory"] == nil && host["NanoCpus"] == nil)
        #expect(host["Init"] as? Bool == true)
    }

    @Test("a list's filters are a percent-encoded JSON of every label, in order")
    func listQuery() throws {
        let query = try DockerEngine.listQuery(labels: ["gantry.worker": "c-1", "com.example/tier": "a=b"])
        #expect(
            query
                == "all=true&filters=%7B%22label%22%3A%5B%22com%2Eexample%2Ftier%3Da%3Db%22%2C%22gantry%2Eworker%3Dc-1"
                + "%22%5D%7D")
        let filters = try #require(query.split(separator: "=", maxSplits: 2).last?.removingPercentEncoding)
        #expect(filters == #"{"label":["com.example/tier=a=b","gantry.worker=c-1"]}"#)
    }

    @Test("ids are one path segment")
    func segment() {
        #expect(DockerEngine.segment("3f4e9a") == "3f4e9a")
        #expect(DockerEngine.segment("../x") == "%2E%2E%2Fx")
    }

    @Test("a stop's grace is given in whole seconds, rounded up")
    func wholeSeconds() {
        #expect(DockerEngine.wholeSeconds(.zero) == 0)
        #expect(DockerEngine.wholeSeconds(.seconds(10)) == 10)
        #expect(DockerEngine.wholeSeconds(.milliseconds(1500)) == 2)
    }

    @Test("a missing image is permanent, a limit is a quota, anything else may work next time")
    func failures() {
        func failure(_ status: Int, _ message: String, image: String? = nil) -> ProvisionerError {
            DockerEngine.failure(
                status: status, message: message, action: "starting container 3f4e", image: image,
                socket: "/run/p.sock")
        }
        #expect(
            failure(404, "No such image: gantry-worker:test", image: "gantry-worker:test")
                == ProvisionerError(.permanent, "image 'gantry-worker:test' is not on the engine at /run/p.sock"))
        #expect(failure(404, "network ci not found", image: "w").kind == .permanent)
        #expect(failure(429, "slow down").kind == .quota)
        #expect(failure(500, "container quota exceeded").kind == .quota)
        #expect(failure(500, "Too many containers").kind == .quota)
        #expect(
            failure(500, "cannot start: no space left on device")
                == ProvisionerError(
                    .transient,
                    "the engine at /run/p.sock answered 500 while starting container 3f4e: cannot start: no space left "
                        + "on device"))
        #expect(failure(404, "No such container: 3f4e").kind == .transient)
        #expect(failure(409, "").message == "the engine at /run/p.sock answered 409 while starting container 3f4e")
    }

    @Test("an engine's message is its JSON's, else its text, on one bounded line")
    func message() {
        #expect(
            DockerEngine.message(Data(#"{"message":"No such image:\n gantry-worker:test"}"#.utf8))
                == "No such image: gantry-worker:test")
        #expect(DockerEngine.message(Data("Bad Gateway\r\n\u{1b}[0m".utf8)) == "Bad Gateway [0m")
        let long = DockerEngine.message(Data(String(repeating: "x", count: 10_000).utf8))
        #expect(long == String(repeating: "x", count: DockerEngine.maxMessageLength) + "…")
    }
}
