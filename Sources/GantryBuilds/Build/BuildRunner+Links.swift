import GantryModel
import GantryStorage

extension BuildRunner {
    /// Adds the links of `step` (``StepURL/links(of:)``) to stored step `id`, rendered by `interpolation`. One that
    /// does not render to an http or https address free of secrets is left out, and the step's log says why: a
    /// link is never worth failing a build for.
    func addLinks(of step: Step, to id: Int, rendering interpolation: Interpolation, log: StdioLog) async throws {
        for link in StepURL.links(of: step) {
            let rendered: StepURL
            do {
                rendered = try link.rendered(with: interpolation)
            } catch {
                await log.append("link '\(link.name)' not added: \(error)\n", prefix: "h")
                continue
            }
            try await database.steps.addStepURL(id, name: rendered.name, url: rendered.url)
        }
    }
}
