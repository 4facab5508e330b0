import Foundation

/// A link a step shows beside its logs (Buildbot's step `urls`, `addURL(name, url)`): a report, an artefact.
///
/// Only http and https addresses are kept, so a page that shows a step's links never carries a `javascript:` or
/// `data:` one, whatever a property put into the text.
public struct StepURL: Sendable, Hashable {
    public var name: String
    public var url: String

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    /// Why a configured link was not added once rendered.
    public enum Problem: Error, Hashable, CustomStringConvertible {
        case interpolation(Interpolation.Failure)
        /// A link is shown to everyone who may read the build: it must not carry a secret.
        case secret
        case notWeb(String)

        public var description: String {
            switch self {
            case .interpolation(let failure): "\(failure)"
            case .secret: "a link must not use a secret"
            case .notWeb(let address): "'\(address)' is not an http or https address"
            }
        }
    }

    /// Whether `text` is an absolute http or https address with a host.
    public static func isWebAddress(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host else {
            return false
        }
        return (scheme == "http" || scheme == "https") && !host.isEmpty
    }

    /// Whether a configured address can render to a web address: one without interpolation must be one; one
    /// with interpolation must start with `http://`, `https://` or an interpolation, whose text is known only when
    /// the step runs.
    public static func mayBeWebAddress(_ template: String) -> Bool {
        guard template.contains("%(") else { return isWebAddress(template) }
        let lowered = template.lowercased()
        return template.hasPrefix("%(") || lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
    }

    /// This link with its name and address rendered by `interpolation`.
    public func rendered(with interpolation: Interpolation) throws(Problem) -> StepURL {
        let name: Interpolation.Rendered
        let url: Interpolation.Rendered
        do {
            name = try interpolation.render(self.name)
            url = try interpolation.render(self.url)
        } catch {
            throw .interpolation(error)
        }
        guard name.secrets.isEmpty, url.secrets.isEmpty else { throw .secret }
        guard Self.isWebAddress(url.text) else { throw .notWeb(url.text) }
        return StepURL(name: name.text, url: url.text)
    }

    /// The links `step` adds when it starts: its `urls`, then a FileUpload's `url` (named by `urlText`, else by
    /// the file name of `masterdest`, as Buildbot's FileUpload does).
    public static func links(of step: Step) -> [StepURL] {
        guard case .fileUpload(let upload) = step.action, let url = upload.url else { return step.urls }
        return step.urls + [StepURL(name: upload.urlText ?? StepDescription.fileName(upload.masterdest), url: url)]
    }
}
