import GantryModel

/// An HTTP request as the HTTP reporters store it in the outbox: method, where, and the JSON body; the
/// secrets (tokens, signatures) are added only when it is sent.
struct HTTPReport: Sendable, Hashable {
    /// Where the request goes.
    var method: String
    /// Under the reporter's URL (`/repos/o/r/statuses/sha`; empty for the URL itself), which is added when the
    /// report is sent: queued reports follow a changed URL, and a URL holding a key never reaches the database.
    var path: String
    var body: JSONValue

    init(method: String = "POST", path: String, body: JSONValue) {
        self.method = method
        self.path = path
        self.body = body
    }

    /// The stored report: `{"method", "path", "body"}`.
    var payload: JSONValue {
        ["method": .string(method), "path": .string(path), "body": body]
    }

    /// The request a stored report holds; nil when it holds none.
    init?(payload: JSONValue) {
        guard let method = payload["method"]?.string, let path = payload["path"]?.string,
            let body = payload["body"]
        else { return nil }
        self.init(method: method, path: path, body: body)
    }

    /// The URL the request goes to: the path under `base` (a trailing slash of `base` is dropped), or `base`
    /// itself for an empty path.
    func url(base: String) -> String {
        guard !path.isEmpty else { return base }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
    }

    /// Sends a stored report: the body rendered to text once, so a signature covers exactly the bytes sent.
    /// - Parameters:
    ///   - base: The reporter's URL (an API's root) the path goes under.
    ///   - headers: The reporter's headers (its token, a signature of the body text); they may replace the
    ///     JSON content type and the user agent set here.
    ///   - alreadyApplied: See ``HTTPTransport/send(method:url:headers:body:alreadyApplied:)``.
    static func send(
        _ payload: JSONValue, base: String, via transport: HTTPTransport,
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
