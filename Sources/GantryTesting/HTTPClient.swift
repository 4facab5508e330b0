public import Foundation
public import GantryModel

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One answer of an HTTP API under test: its status and its body as JSON.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var json: JSONValue

    /// The value at `path` of object keys and array indexes, e.g. `["masters", 0, "name"]`.
    public subscript(_ path: any Sendable...) -> JSONValue? {
        var value: JSONValue? = json
        for step in path {
            switch (value, step) {
            case (.object(let object), let key as String): value = object[key]
            case (.array(let array), let index as Int): value = array.indices.contains(index) ? array[index] : nil
            default: return nil
            }
        }
        return value
    }
}

/// GETs `path` (with its query) from the server at `base` and decodes the JSON body.
public func httpGet(_ base: URL, _ path: String) async throws -> HTTPAnswer {
    try await httpRequest(base, path)
}

/// GETs `path` and returns the status and the body as text.
public func httpGetText(_ base: URL, _ path: String) async throws -> (status: Int, text: String) {
    guard let url = URL(string: base.absoluteString + path) else {
        throw GantryError(.invalidArgument, "not a URL: \(base.absoluteString + path)")
    }
    let (data, response) = try await URLSession.shared.data(from: url)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

/// POSTs `body` to `path` with `headers` and decodes the JSON answer.
public func httpPost(_ base: URL, _ path: String, body: String, headers: [String: String] = [:]) async throws
    -> HTTPAnswer
{
    try await httpRequest(base, path, method: "POST", body: Data(body.utf8), headers: headers)
}

private func httpRequest(
    _ base: URL,
    _ path: String,
    method: String = "GET",
    body: Data? = nil,
    headers: [String: String] = [:]
) async throws -> HTTPAnswer {
    guard let url = URL(string: base.absoluteString + path) else {
        throw GantryError(.invalidArgument, "not a URL: \(base.absoluteString + path)")
    }
    var request = URLRequest(url: url)
    request.httpMethod = method
    request.httpBody = body
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    return HTTPAnswer(status: status, json: try JSONDecoder().decode(JSONValue.self, from: data))
}
