import GantryModel
import Logging

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
        let parent = BuildsetParent(buildID: buildID, relationship: BuildsetParent.triggeredFrom)
        let requests = TriggeredRequests()
        let ending = try await withThrowingTaskGroup(of: BuildResult?.self) { race in
            race.addTask {
                try await withThrowingTaskGroup(of: BuildResult.self) { group in
                    for scheduler in step.schedulerNames {
                        group.addTask {
                            try await triggers.trigger(
                                scheduler: scheduler, sourceStamps: triggered, properties: given,
                                wait: step.waitForFinish, parent: parent, added: { await requests.add($0) }
                            ) ?? .success
                        }
                    }
                    return try await group.reduce(BuildResult.success) { $0.worst($1) }
                }
            }
            // A stop of this build ends the wait (nil).
            race.addTask { [control = job.control] in
                await control.waitUntilStopped()
                return nil
            }
            defer { race.cancelAll() }
            return try await race.next() ?? nil
        }
        guard let worst = ending else {
            let cancelled = await cancel(await requests.ids)
            await log.append("stopped: \(cancelled) triggered request(s) cancelled\n", prefix: "h")
            return .cancelled
        }
        await log.append("triggered \(step.schedulerNames.joined(separator: ", ")): \(worst.name)\n", prefix: "h")
        return worst
    }

    /// Cancels the triggered requests not yet complete (their builds are stopped wherever they run); returns
    /// how many. One claimed by a master that is about to start it is tried again for a few seconds.
    private func cancel(_ requests: [Int]) async -> Int {
        var cancelled = 0
        for brid in requests {
            for _ in 0..<25 {
                do {
                    _ = try await runner.database.buildRequests.cancelBuildRequest(
                        brid, reason: "the triggering build was stopped", masterid: runner.masterID)
                    cancelled += 1
                } catch let error as GantryError where error.code == .conflict {
                    let complete: Bool?
                    do {
                        complete = try await runner.database.buildRequests.getBuildRequest(brid)?.complete
                    } catch {
                        runner.logger.warning(
                            "cannot read a triggered request being cancelled; leaving it",
                            metadata: [
                                LogKey.build: "\(buildID)", LogKey.buildRequest: "\(brid)", LogKey.error: "\(error)",
                            ])
                        break
                    }
                    guard complete == false else { break }
                    // Only cancellation ends the pause early; the attempts are few and end by themselves.
                    try? await Task.sleep(for: .milliseconds(200))
                    continue
                } catch {
                    runner.logger.warning(
                        "cannot cancel a triggered request",
                        metadata: [
                            LogKey.build: "\(buildID)", LogKey.buildRequest: "\(brid)", LogKey.error: "\(error)",
                        ])
                    await log.append("cannot cancel triggered request \(brid): \(Self.shown(error))\n", prefix: "h")
                }
                break
            }
        }
        return cancelled
    }
}

/// The build requests a Trigger step added, as the schedulers report them.
private actor TriggeredRequests {
    private(set) var ids: [Int] = []

    func add(_ more: [Int]) {
        ids += more
    }
}
