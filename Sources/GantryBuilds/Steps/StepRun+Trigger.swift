import GantryModel

extension StepRun {
    /// Trigger: a buildset on every named scheduler, all triggered together; with waitForFinish
    /// the step ends with the worst of their results, otherwise SUCCESS once they are added.
    func trigger(_ step: TriggerBuilds) async throws -> BuildResult {
        guard let triggers = runner.triggers else {
            await log.append("no triggerable schedulers on this master\n", prefix: "h")
            return .exception
        }
        var properties: [String: JSONValue] = [:]
        let current = await self.properties.values
        for name in step.copyProperties {
            if let value = current[name] { properties[name] = [value, "Trigger"] }
        }
        for (name, text) in step.setProperties { properties[name] = [.string(try await render(text)), "Trigger"] }
        let gotRevision = current["got_revision"]?.string
        var stamps: [SourceStamp] = step.updateSourceStamp ? sourceStamps : []
        if let gotRevision, stamps.count == 1 { stamps[0].revision = gotRevision }

        let triggered = stamps
        let given = properties
        return try await withThrowingTaskGroup(of: BuildResult.self) { group in
            for scheduler in step.schedulerNames {
                group.addTask {
                    try await triggers.trigger(
                        scheduler: scheduler, sourceStamps: triggered, properties: given, wait: step.waitForFinish)
                        ?? .success
                }
            }
            var worst = BuildResult.success
            for try await result in group { worst = worst.worst(result) }
            await log.append("triggered \(step.schedulerNames.joined(separator: ", ")): \(worst.name)\n", prefix: "h")
            return worst
        }
    }
}
