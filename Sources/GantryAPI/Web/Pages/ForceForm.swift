import Foundation
import GantryModel
import GantryScheduling
import Hummingbird

/// A force form posted back to its builder's page with what was wrong: the fields as typed, each refused
/// parameter's reason, and what was wrong with the request as a whole.
struct ForceSubmission {
    var scheduler: String
    var form: WebForm
    /// By parameter name.
    var errors: [String: String] = [:]
    var message: String?
}

extension WebUI {
    /// `POST /ui/forceschedulers/{name}`: forces a build of the form's `builderid` with the scheduler's parameters,
    /// each field named after its parameter and typed as it expects (a checkbox is true when sent). Answers 303 to
    /// the builder's page (or the form's `next`), where the new request waits; a refused field shows the builder's
    /// page again with each field's error beside it (400), and a scheduler no master runs or that is disabled
    /// with why (503, 409).
    func addForceActions(to router: Router<APIRequestContext>) {
        router.post("/ui/forceschedulers/{name}") { [self] request, context -> Response in
            await rendering {
                let form = try await WebForm.read(request)
                let name = Self.pathParameter("name", of: context)
                guard let scheduler = forceSchedulers[name] else {
                    return notFoundPage("There is no force scheduler named '\(name)'.")
                }
                guard let builder = try await findBuilder(form["builderid"]) else {
                    throw WebRefusal(.badRequest, "The form must name a builder by its id ('builderid').")
                }
                func refused(_ status: HTTPResponse.Status, _ submission: ForceSubmission) async throws -> Response {
                    try await builderPage(builder, query: WebForm(encoded: ""), status: status, submission: submission)
                }
                do {
                    _ = try await control.force(scheduler.name, builders: [builder.name]) { caller in
                        try await scheduler.force(
                            owner: caller, builderNames: [builder.name], arguments: Self.forceArguments(scheduler, form)
                        )
                    }
                    return seeOther(form.next ?? "/builders/\(builder.id)")
                } catch let refusal as ForceScheduler.Refusal {
                    let fields = Set(scheduler.allParameters.map(\.name))
                    let other = refusal.errors.filter { !fields.contains($0.key) }.sorted { $0.key < $1.key }
                    let message = other.isEmpty ? nil : other.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
                    return try await refused(
                        .badRequest,
                        ForceSubmission(scheduler: name, form: form, errors: refusal.errors, message: message))
                } catch let error as GantryError where error.code == .notFound || error.code == .fenced {
                    // No master runs the scheduler, or its claim moved while forcing: nothing was written.
                    let message =
                        error.code == .fenced
                        ? "Force scheduler '\(name)' moved to another master meanwhile; nothing was done, try again."
                        : error.message
                    return try await refused(
                        .serviceUnavailable, ForceSubmission(scheduler: name, form: form, message: message))
                } catch let error as GantryError where error.code == .conflict {
                    return try await refused(
                        .conflict, ForceSubmission(scheduler: name, form: form, message: error.message))
                }
            }
        }
    }

    /// The arguments a posted force form gives `scheduler`: each parameter's field as text for the scheduler to
    /// check and convert (an integer's digits, a choice's name), a checkbox as true when sent and false when not,
    /// a field not sent left to its default. Fields that are no parameter (`builderid`) are not passed.
    static func forceArguments(_ scheduler: ForceScheduler, _ form: WebForm) -> [String: JSONValue] {
        var arguments: [String: JSONValue] = [:]
        for parameter in scheduler.allParameters {
            switch parameter.kind {
            case .boolean:
                arguments[parameter.name] = .bool(form[parameter.name] != nil)
            case .int:
                if let text = form[parameter.name] {
                    arguments[parameter.name] = .string(text.trimmingCharacters(in: .whitespaces))
                }
            case .string, .text, .choice, .username:
                if let text = form[parameter.name] { arguments[parameter.name] = .string(text) }
            }
        }
        return arguments
    }

    /// The context of `scheduler`'s form (the `number`th on the page, for unique field ids): a field per
    /// parameter, typed (text, textarea, number, checkbox, select; the username field is the owner), required
    /// ones marked, filled with `submission`'s values or the defaults, each with its error.
    static func forceForm(_ scheduler: ForceScheduler, number: Int, submission: ForceSubmission?) -> [String: Any] {
        let fields = scheduler.allParameters.enumerated().map { index, parameter in
            var field: [String: Any?] = [
                "fieldID": "force-\(number)-\(index)", "fieldName": parameter.name,
                "fieldLabel": parameter.label ?? parameter.name, "fieldRequired": parameter.required,
                "fieldError": submission?.errors[parameter.name],
            ]
            let sent = submission.map { $0.form[parameter.name] }
            let value = sent ?? parameter.defaultValue.flatMap { $0 == .null ? nil : WebFormat.text($0) }
            switch parameter.kind {
            case .string: field["isText"] = true
            case .username: field.merge(["isText": true, "isOwner": true]) { $1 }
            case .text: field["isTextarea"] = true
            case .int: field["isNumber"] = true
            case .boolean:
                field["isCheckbox"] = true
                field["checked"] = sent.map { $0 != nil } ?? (parameter.defaultValue == .bool(true))
            case .choice(let choices):
                let chosen = value ?? choices.first
                field["isSelect"] = true
                field["options"] = choices.map { choice -> [String: Any] in
                    ["optionValue": choice, "optionSelected": choice == chosen]
                }
            }
            field["fieldValue"] = value ?? ""
            return item(field)
        }
        return item([
            "forceName": scheduler.name, "forceAction": "/ui/forceschedulers/\(WebForm.escape(scheduler.name))",
            "forceError": submission?.message, "fields": fields,
        ])
    }
}
