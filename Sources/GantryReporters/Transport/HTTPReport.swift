import GantryModel

/// An HTTP request as the HTTP reporters store it in the outbox: method, where, and the JSON body; the
/// secrets (tokens, signatures) are added only when it is sent.
struct HTTPReport: Sendable, Hashable {
    /// Where the request goes.
    enum Location: Sendable, Hashable {
        /// A path under the reporter's API root (`/repos/o/r/statuses/sha`), so queued statuses follow a changed
        /// base URL.
        case path(String)
        /// A whole URL (the HTTP push reporter's).
        case url(String)
    }

    var method: String
    var location: Location
    var body: JSONValue

    init(method: String = "POST", location: Location, body: JSONValue) {
        self.method = method
        self.location = location
        self.body = body
    }

    /// The stored report: `{"method", "path" or "url", "body"}`.
    var payload: JSONValue {
        switch location {
        case .path(let path): ["method": .string(method), "path": .string(path), "body": body]
        case .url(let url): ["method": .string(method), "url": .string(url), "body": body]
        }
    }

    /// The request a stored report holds; nil when it holds none.
    init?(payload: JSONValue) {
        guard let method = payload["method"]?.string, let body = payload["body"] else { return nil }
        if let path = payload["path"]?.string {
            self.init(method: method, location: .path(path), body: body)
        } else if let url = payload["url"]?.string {
            self.init(method: method, location: .url(url), body: body)
        } else {
            return nil
        }
    }

    /// The URL the request goes to; a path is put under `base` (a trailing slash of `base` is dropped).
    func url(base: String) -> String {
        switch location {
        case .path(let path): (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
        case .url(let url): url
        }
    }

    /// Sends a stored report: the body rendered to text once, so a signature covers exactly the bytes sent.
    /// - Parameters:
    ///   - base: The API root a path goes under.
    ///   - headers: The reporter's headers (its token, a signature of the body text); they may replace the
    ///     JSON content type and the user agent set here.
    ///   - alreadyApplied: See ``HTTPTransport/send(method:url:headers:body:alreadyApplied:)``.
    static func send(
        _ payload: JSONValue, base: String = "", via transport: HTTPTransport,
        headers: (_ request: HTTPReport, _ body: String) -> [(String, String)],
        alreadyApplied: (HTTPReply) -> Bool = { _ in false }
    ) async -> DeliveryOutcome {
        guard let request = HTTPReport(payload: payload) else {
            return .failed(reason: "the stored report is not an HTTP request")
        }
        let body = request.body.jsonText
        let common = [("Content-Type", "application/json"), ("User-Agent", "Gantry")]
        return await transport.send(
            method: request.method, url: request.url(base: base), headers: common + headers(request, body),
            body: body, alreadyApplied: alreadyApplied)
    }
}
