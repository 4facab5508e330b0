import Hummingbird

/// Answers given before a request's body was read in full. Each closes the connection once written: Hummingbird
/// would otherwise read, and discard, the rest of the body to reach the next request.
enum ClosingResponse {
    /// `{"error": message}` with `Connection: close`, and `Retry-After` when given.
    static func error(_ status: HTTPResponse.Status, _ message: String, retryAfter seconds: Int? = nil) -> Response {
        var response = APIResponse.error(status, message)
        response.headers[.connection] = "close"
        if let seconds { response.headers[.retryAfter] = String(seconds) }
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            try await body.write(writer)
            // A response that fails once written makes Hummingbird close the connection without reading on.
            throw ConnectionClosing()
        }
        return response
    }

    private struct ConnectionClosing: Error {}
}
