import Foundation
import GantryModel
import Hummingbird
import NIOCore

/// The fields of a query string or of a posted `application/x-www-form-urlencoded` form, in order: how every page
/// reads its options and every action its form. `+` is a space, as browsers encode forms.
struct WebForm: Sendable {
    /// The largest form body read; a larger one is refused (413) before it is kept.
    static let maxBody = 64 * 1024

    private(set) var fields: [(name: String, value: String)]

    /// The fields of `encoded` (`a=1&b=two+words`); a field without `=` has an empty value.
    init(encoded: Substring) {
        fields = encoded.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    /// The options of `request`'s query string.
    init(query request: Request) {
        self.init(encoded: Substring(request.uri.query ?? ""))
    }

    /// The form `request` posts.
    /// - Throws: ``WebRefusal``: 413 for a body over ``maxBody``, 415 for a body of another type, 400 for one that
    ///   could not be read.
    static func read(_ request: Request) async throws -> WebForm {
        try refuseCrossSite(request)
        if let type = request.headers[.contentType],
            !type.lowercased().hasPrefix("application/x-www-form-urlencoded")
        {
            throw WebRefusal(.unsupportedMediaType, "a form must be sent as application/x-www-form-urlencoded")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            throw WebRefusal(.contentTooLarge, "the form is larger than \(maxBody / 1024) KiB")
        } catch {
            throw WebRefusal(.badRequest, "the form could not be read")
        }
        return WebForm(encoded: Substring(String(buffer: body)))
    }

    /// Refuses a form another site's page made the browser send (403): browsers say where a request comes from in
    /// `Sec-Fetch-Site` or, failing that, `Origin`, which must then name the host the form was posted to. A
    /// request that says neither does not come from a current browser's page, and is let through.
    static func refuseCrossSite(_ request: Request) throws {
        let refusal = WebRefusal(.forbidden, "a form may only be posted from this master's own pages")
        if let site = request.header("sec-fetch-site") {
            guard site == "same-origin" || site == "none" else { throw refusal }
            return
        }
        guard let origin = request.headers[.origin] else { return }
        guard SameOrigin.matches(origin, request) else { throw refusal }
    }

    /// The first value of `name`, as sent.
    subscript(name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// The first value of `name` without surrounding white space; `nil` when absent or blank.
    func text(_ name: String) -> String? {
        self[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The first value of `name` as a whole number at least `minimum`; `nil` when absent or blank.
    /// - Throws: `GantryError.invalidArgument` (400) naming the option when it is not one.
    func integer(_ name: String, minimum: Int = 0) throws -> Int? {
        guard let text = text(name) else { return nil }
        guard let number = Int(text), number >= minimum else {
            throw GantryError(.invalidArgument, "'\(name)' must be a whole number from \(minimum), not '\(text)'")
        }
        return number
    }

    /// The local path a form asks to be sent back to (`next`), so one action serves several pages; `nil` when
    /// absent or when it is not a path on this server (another host, a scheme, control characters).
    var next: String? {
        guard let next = self["next"], next.hasPrefix("/"), !next.hasPrefix("//"),
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" })
        else { return nil }
        return next
    }

    /// `path` with `fields` as its query (those with a `nil` or empty value left out), for links that keep a
    /// page's options.
    static func link(_ path: String, _ fields: [(name: String, value: String?)]) -> String {
        let query = fields.compactMap { field in
            field.value.flatMap { $0.isEmpty ? nil : "\(escape(field.name))=\(escape($0))" }
        }
        return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
    }

    /// `text` safe as one path segment or query value: everything but unreserved characters percent-encoded.
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
