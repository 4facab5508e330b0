import Foundation
import GantryModel
import GantryStorage
import Hummingbird
import Logging
import NIOCore

/// A request a page or action refuses, with the status and the message its error page shows.
struct WebRefusal: Error {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}

extension WebUI {
    /// The header's navigation: each section's name (what a page passes as `section`), label and page.
    static let navigation: [(section: String, label: String, path: String)] = [
        ("home", "Home", "/"), ("builders", "Builders", "/builders"), ("grid", "Grid", "/grid"),
        ("workers", "Workers", "/workers"), ("pools", "Pools", "/pools"),
        ("buildrequests", "Requests", "/buildrequests"), ("changes", "Changes", "/changes"),
        ("schedulers", "Schedulers", "/schedulers"), ("masters", "Masters", "/masters"),
        ("reporters", "Reporters", "/reporters"), ("audit", "Audit", "/audit"),
    ]

    /// The HTML page `template` renders from `context`, inside the layout.
    ///
    /// A page template is the content of `<main id="content">` only; the layout adds the document around it.
    /// - Parameters:
    ///   - title: The document's title.
    ///   - section: The navigation entry marked current (``navigation``'s `section`).
    ///   - feed: The event paths the page shows (`builds/*/*`): a matching event makes the live script fetch the
    ///     page again and replace `#content`. None for a page that updates itself (the log viewer).
    ///   - feedFilter: Payload values an event must have to count (`["buildid": 12]`).
    ///   - status: 200 unless a form is shown again with its errors.
    func page(
        _ template: String, title: String, section: String, feed: [String], feedFilter: [String: Int]? = nil,
        status: HTTPResponse.Status = .ok, _ context: [String: Any]
    ) -> Response {
        // What the requester may do, for the templates to leave out the buttons it may not press (the actions
        // check again when pressed).
        var context = context
        context["may"] = Dictionary(
            uniqueKeysWithValues: AccessAction.allCases.map { ($0.rawValue, control.mayAnywhere($0)) })
        guard let content = templates.render(template, context) else {
            logger.error("no web template", metadata: [LogKey.detail: "\(template)"])
            return Self.html(.internalServerError, APIResponse.internalError)
        }
        let layout = Self.context([
            "title": title,
            "navigation": Self.navigation.filter { $0.section != "audit" || control.mayAnywhere(.audit) }.map {
                entry -> [String: Any] in
                ["label": entry.label, "href": entry.path, "current": entry.section == section]
            },
            "feed": feed.joined(separator: ","),
            "feedFilter": feedFilter.map(Self.json),
            "stylesheet": WebAssets.path("gantry.css"),
            "liveScript": WebAssets.path("live.js"),
            "content": content,
            "auth": access.settings != nil,
            "user": Requester.current.caller.user,
        ])
        return Self.html(status, templates.render("layout", layout) ?? content)
    }

    /// A page saying why a request was refused or failed, with a link back when there is a page to go back to.
    func messagePage(_ status: HTTPResponse.Status, _ message: String, back: String? = nil) -> Response {
        let heading = status == .notFound ? "Not found" : status.reasonPhrase
        return page(
            "message", title: heading, section: "", feed: [], status: status,
            Self.context(["heading": heading, "message": message, "back": back]))
    }

    /// The 404 page, saying what was not found.
    func notFoundPage(_ message: String) -> Response {
        messagePage(.notFound, message)
    }

    /// `303 See Other` to `location`: where a form's action sends the browser once done, so reloading the page
    /// does not post the form again.
    func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// Runs a page's or action's `handler`, answering what it throws with an error page: the refusal's own
    /// status, 400 for a bad option, 404 for an unknown id, 409 for a conflict, 503 for what may pass when sent
    /// again, and 500 (logged, its text kept out of the page) for anything else.
    func rendering(_ handler: () async throws -> Response) async -> Response {
        do {
            return try await handler()
        } catch let refusal as WebRefusal {
            return messagePage(refusal.status, refusal.message)
        } catch let error as GantryError where error.code == .unauthenticated {
            return messagePage(.unauthorized, "You must log in to do that.", back: "/login")
        } catch let error as GantryError where error.code == .forbidden {
            return messagePage(.forbidden, "You may not do that: \(error.message).")
        } catch let error as GantryError where error.code == .invalidArgument {
            return messagePage(.badRequest, error.message)
        } catch let error as GantryError where error.code == .notFound {
            return notFoundPage(error.message)
        } catch let error as GantryError where error.code == .conflict || error.code == .alreadyClaimed {
            return messagePage(.conflict, error.message)
        } catch let error as GantryError where APIResponse.retryMessage(error) != nil {
            logger.warning("web request not carried out", metadata: [LogKey.error: "\(String(reflecting: error))"])
            return messagePage(.serviceUnavailable, APIResponse.retryMessage(error) ?? error.message)
        } catch {
            // A GantryError's message is safe to show; any other error's text stays in the log.
            let gantryError = error as? GantryError
            let detail = gantryError.map { String(reflecting: $0) } ?? DatabaseFailure.reason(error)
            logger.error("web request failed", metadata: [LogKey.error: "\(detail)"])
            return messagePage(.internalServerError, gantryError?.message ?? APIResponse.internalError)
        }
    }

    /// A page's context from `values`, the absent ones left out: a missing key renders nothing and skips its
    /// section, where a stored `nil` would count as a value.
    static func context(_ values: [String: Any?]) -> [String: Any] {
        values.compactMapValues { $0 }
    }

    /// The context of an item inside a page (a row, a field): its absent values are `false`, so a section on one
    /// is skipped rather than finding a value of the same name in the page around it, as Mustache looks up a
    /// name missing from an item.
    static func item(_ values: [String: Any?]) -> [String: Any] {
        values.mapValues { $0 ?? false }
    }

    /// `{"buildid":12}`: whole numbers written as such, keys in order.
    private static func json(_ values: [String: Int]) -> String {
        "{"
            + values.sorted { $0.key < $1.key }.map { "\(JSONValue.string($0.key).jsonText):\($0.value)" }
            .joined(separator: ",") + "}"
    }

    private static func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            // No other site may frame the pages (and trick a click on their buttons).
            headers: [.contentType: "text/html; charset=utf-8", .init("X-Frame-Options")!: "DENY"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
