import ArgumentParser
import AsyncHTTPClient
import Foundation
import GantryCommandLine
import GantryModel
import NIOCore

/// `--master URL`: the HTTP API of a running master, for commands that ask it to act.
struct MasterAPIOptions: ParsableArguments {
    @Option(help: "The master's HTTP address.")
    var master: String = "http://127.0.0.1:8010"
    @Option(
        name: .customLong("token-file"),
        help: ArgumentHelp(
            "A file whose first line is the API token to send; GANTRY_TOKEN wins over it. By default "
                + "$XDG_CONFIG_HOME/gantry/token or ~/.config/gantry/token, when it exists.",
            valueName: "path"))
    var tokenFile: String?

    /// The token to send, from `GANTRY_TOKEN` or the token file; `nil` when there is none.
    func credentials() throws -> APICredentials? {
        try APICredentials.find(file: tokenFile)
    }

    /// How long a request may take, and how large an answer may be.
    static let timeout = TimeAmount.seconds(60)
    static let largestAnswer = 64 << 20

    /// GETs `path`; the answer, or the master's error as the failure.
    func get(_ path: String) async throws -> JSONValue {
        let (status, answer, text) = try await send(path, body: nil)
        guard status == 200, let answer else {
            throw CommandFailure("the master refused: \(answer?["error"]?.string ?? text)")
        }
        return answer
    }

    /// POSTs `body` to `path`; the status and the answer.
    func post(_ path: String, _ body: JSONValue) async throws -> (status: Int, answer: JSONValue?, text: String) {
        try await send(path, body: body)
    }

    private func send(_ path: String, body: JSONValue?) async throws -> (status: Int, answer: JSONValue?, text: String)
    {
        guard let url = URL(string: master.trimmingCharacters(in: ["/"]) + path),
            url.scheme == "http" || url.scheme == "https"
        else { throw CommandFailure("--master must be an http(s) URL, not '\(master)'") }
        var request = HTTPClientRequest(url: url.absoluteString)
        let sent = try credentials()
        if let sent {
            request.headers.add(name: "Authorization", value: sent.authorization)
            if url.scheme == "http", let host = url.host, !AddressRange.isLoopback(host) {
                FileHandle.standardError.write(
                    Data("warning: the token goes to \(host) unencrypted; serve the API over TLS (https://)\n".utf8))
            }
        }
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.jsonText))
        }
        let status: Int
        let data: ByteBuffer
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: Self.timeout)
            status = Int(response.status.code)
            data = try await response.body.collect(upTo: Self.largestAnswer)
        } catch {
            throw CommandFailure("cannot reach \(url): \(error)")
        }
        let answer = try? JSONDecoder().decode(JSONValue.self, from: Data(data.readableBytesView))
        let text = String(buffer: data)
        let message = answer?["error"]?.string ?? answer?["error"]?["message"]?.string ?? text
        if let refusal = APICredentials.refusal(status: status, message: message, sent: sent) { throw refusal }
        return (status, answer, text)
    }

    /// Calls JSON-RPC `method` on `path` with an optional reason; its result, or its error as the failure.
    func call(_ path: String, _ method: String, reason: String? = nil) async throws -> JSONValue {
        var params: [String: JSONValue] = [:]
        if let reason { params["reason"] = .string(reason) }
        let (status, answer, text) = try await post(
            path, ["jsonrpc": "2.0", "method": .string(method), "params": .object(params), "id": 1])
        guard status == 200, let result = answer?["result"] else {
            throw CommandFailure("the master refused: \(answer?["error"]?["message"]?.string ?? text)")
        }
        return result
    }
}
