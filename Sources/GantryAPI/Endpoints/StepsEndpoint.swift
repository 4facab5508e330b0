import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/steps/{id}` and `/builds/{id}/steps/{number or name}`: one step, as Buildbot finds it by its
    /// id or within its build.
    func addSteps(to router: Router<APIRequestContext>) {
        resource(
            "/api/v2/steps/{id}", key: "steps", keys: Self.stepKeys, of: StepField.self, on: router, noun: "step"
        ) { [database] id in
            guard let id = Int(id) else { return nil }
            return try await database.steps.getStep(id)?.resource
        }
        parameterizedCollection(
            "/api/v2/builds/{id}/steps/{step}", key: "steps", keys: Self.stepKeys, of: StepField.self, on: router,
            withProperties: false
        ) { [database] parameters, _, _ in
            let id = parameters.get("id") ?? ""
            let key = parameters.get("step") ?? ""
            guard let buildID = Int(id), try await database.builds.getBuild(buildID) != nil else {
                throw GantryError(.notFound, "no build '\(id)'")
            }
            let steps = try await database.steps.getSteps(buildid: buildID)
            let number = Int(key)
            guard let step = steps.first(where: { step in number.map { step.number == $0 } ?? (step.name == key) })
            else {
                throw GantryError(.notFound, "build \(buildID) has no step '\(key)'")
            }
            return Page(items: [step.resource], total: 1)
        }
    }
}
