import Mustache

/// The web UI's Mustache templates, compiled into the binary and parsed once, when the master starts: a template
/// that does not parse is a fault of the build, so it stops the start instead of breaking one page later.
///
/// Templates are registered under their file names without `.mustache`; each may include the others as
/// partials (`{{> paging}}`).
public struct WebTemplates: Sendable {
    private let library: MustacheLibrary

    /// Parses every template.
    /// - Throws: ``WebTemplateError`` naming the first template that does not parse, and where.
    public init() throws {
        var library = MustacheLibrary()
        for template in Self.shared + Self.buildPages + Self.farmPages + Self.accessPages {
            do {
                library.register(
                    try MustacheTemplate(string: String(decoding: template.bytes, as: UTF8.self)),
                    named: template.name)
            } catch let error as MustacheTemplate.ParserError {
                throw WebTemplateError(
                    template: template.name,
                    reason: "line \(error.context.lineNumber), column \(error.context.columnNumber): \(error.error)")
            } catch {
                throw WebTemplateError(template: template.name, reason: "\(error)")
            }
        }
        self.library = library
    }

    /// Template `name` rendered from `context`; `nil` when there is no such template.
    func render(_ name: String, _ context: [String: Any]) -> String? {
        library.render(context, withTemplate: name)
    }

    /// The layout around every page and the partials any page may use: `paging` (a ``WebPaging`` context under
    /// `paging`) and `message` (an error page's text).
    static let shared: [(name: String, bytes: [UInt8])] = [
        ("layout", PackageResources.layout_mustache),
        ("paging", PackageResources.paging_mustache),
        ("message", PackageResources.message_mustache),
    ]
}

/// A web template that does not parse.
public struct WebTemplateError: Error, CustomStringConvertible {
    /// The template's name (its file name without `.mustache`).
    public let template: String
    public let reason: String

    public var description: String { "the web UI's template '\(template)' does not parse: \(reason)" }
}
