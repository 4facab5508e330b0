import Foundation
import GantryModel
import GantryTesting
import Testing

@testable import GantryStorage

@Suite("Reporters storage", .paced)
struct ReportersStorageTests {
    let time = ManualWallClock()

    /// The reporter `name`, claimed by the master `master` (made active).
    private func claimed(
        _ db: Database, _ name: String = "github", by master: String = "m1"
    ) async throws -> ClaimFence {
        let masterid = try await db.masters.findMasterId(master)
        try await db.masters.masterActive(masterid)
        return try await db.claims(.reporter).claim(try await db.reporters.findReporterId(name), masterid: masterid)
    }

    /// A report of event `event`, recorded now.
    private func report(_ event: Int, _ index: Int = 0, target: String = "acme/app@abc#ci") -> QueuedReport {
        QueuedReport(
            eventID: event, index: index, target: target,
            payload: ["state": "pending", "event": .number(Double(event))], eventAt: time.now)
    }

    /// The code of the `GantryError` that `body` throws; nil when it throws none.
    private func thrownCode<T>(_ body: () async throws -> T) async -> GantryError.Code? {
        do {
            _ = try await body()
            return nil
        } catch {
            return (error as? GantryError)?.code
        }
    }

    @Test("a new reporter starts at the newest event and is not moved by later ones", arguments: TestBackend.enabled)
    func cursorStart(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let builder = try await db.builders.findBuilderId("linux")
            _ = try await db.buildsets.addBuildset(reason: "before", builderids: [builder])
            let fence = try await claimed(db)
            let newest = try await db.events.latestEventID()
            #expect(newest > 0)
            #expect(try await db.reporters.cursor(fence) == newest, "history is not replayed")
            _ = try await db.buildsets.addBuildset(reason: "after", builderids: [builder])
            #expect(try await db.events.latestEventID() > newest)
            #expect(try await db.reporters.cursor(fence) == newest)
        }
    }

    @Test("a new reporter starts after the trimmed events when none is left", arguments: TestBackend.enabled)
    func cursorAfterTrim(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let fence = try await claimed(db)
            _ = try await db.buildsets.addBuildset(reason: "r", builderids: [try await db.builders.findBuilderId("b")])
            let newest = try await db.events.latestEventID()
            try await db.events.trim(olderThan: time.now.addingTimeInterval(1), keepingAtMost: 0)
            #expect(try await db.count("events") == 0)
            #expect(try await db.reporters.cursor(fence) == newest)
        }
    }

    @Test("reports are queued with the cursor's move; a stale cursor queues nothing", arguments: TestBackend.enabled)
    func enqueue(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let fence = try await claimed(db)
            let start = try await db.reporters.cursor(fence)
            try await db.reporters.enqueue(
                [report(start + 1), report(start + 1, 1, target: "acme/app@abc#lint")], fence: fence, from: start,
                to: start + 3, now: time.now)
            #expect(try await db.reporters.cursor(fence) == start + 3)
            let queued = try await db.reporters.due(fence.serviceID, now: time.now, limit: 10)
            #expect(queued.map(\.index) == [0, 1])
            #expect(queued.map(\.target) == ["acme/app@abc#ci", "acme/app@abc#lint"])
            let first = try #require(queued.first)
            #expect(first.reporterID == fence.serviceID && first.eventID == start + 1)
            #expect(first.payload == report(start + 1).payload)
            #expect(first.state == .pending && first.attempts == 0)
            #expect(first.nextAttemptAt == time.now && first.createdAt == time.now && first.eventAt == time.now)
            #expect(first.deliveredAt == nil && first.status == nil && first.lastError == nil)

            let stale = await thrownCode {
                try await db.reporters.enqueue(
                    [report(start + 2)], fence: fence, from: start, to: start + 5, now: time.now)
            }
            #expect(stale == .conflict)
            #expect(try await db.count("reporter_deliveries") == 2, "nothing inserted")
            #expect(try await db.reporters.cursor(fence) == start + 3, "nor moved")
        }
    }

    @Test("a deposed master's writes are refused and change nothing", arguments: TestBackend.enabled)
    func fenced(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let old = try await claimed(db, by: "a")
            let start = try await db.reporters.cursor(old)
            try await db.reporters.enqueue([report(start + 1)], fence: old, from: start, to: start + 1, now: time.now)
            let delivery = try #require(try await db.reporters.due(old.serviceID, now: time.now, limit: 1).first)
            try await db.masters.masterStopped(old.masterID)
            let current = try await claimed(db, by: "b")
            #expect(current.serviceID == old.serviceID && current.epoch > old.epoch)

            let later = time.now.addingTimeInterval(60)
            let reporters = db.reporters
            var refusals: [GantryError.Code?] = []
            refusals.append(await thrownCode { try await reporters.cursor(old) })
            refusals.append(
                await thrownCode {
                    try await reporters.enqueue(
                        [report(start + 2)], fence: old, from: start + 1, to: start + 2, now: time.now)
                })
            refusals.append(await thrownCode { try await reporters.markSending(delivery.id, fence: old) })
            refusals.append(
                await thrownCode { try await reporters.markDelivered(delivery.id, status: 201, at: later, fence: old) })
            refusals.append(
                await thrownCode { try await reporters.markRetry(delivery.id, error: "e", next: later, fence: old) })
            refusals.append(
                await thrownCode { try await reporters.markFailed(delivery.id, error: "e", at: later, fence: old) })
            refusals.append(await thrownCode { try await reporters.supersedeStale(old) })
            refusals.append(await thrownCode { try await reporters.recoverInterrupted(old) })
            let expected: [GantryError.Code?] = Array(repeating: .fenced, count: 8)
            #expect(refusals == expected)
            #expect(try await reporters.due(old.serviceID, now: time.now, limit: 10) == [delivery])
            #expect(try await reporters.cursor(current) == start + 1)

            let other = try await claimed(db, "gitlab", by: "b")
            let foreign = await thrownCode { try await reporters.markSending(delivery.id, fence: other) }
            #expect(foreign == .notFound, "another reporter's fence reaches none of this one's deliveries")
            try await reporters.markSending(delivery.id, fence: current)
            #expect(try await reporters.deliveries(limit: 10).map(\.state) == [.sending])
        }
    }

    @Test(
        "deliveries are due in order, retried after their backoff, given up or superseded",
        arguments: TestBackend.enabled)
    func lifecycle(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let fence = try await claimed(db)
            let reporter = fence.serviceID
            let start = try await db.reporters.cursor(fence)
            let t0 = time.now
            try await db.reporters.enqueue(
                [report(start + 1, target: "a"), report(start + 2, target: "b"), report(start + 3, target: "a")],
                fence: fence, from: start, to: start + 3, now: t0)
            let queued = try await db.reporters.due(reporter, now: t0, limit: 10)
            try #require(queued.count == 3)
            #expect(queued.map(\.eventID) == [start + 1, start + 2, start + 3])
            #expect(try await db.reporters.due(reporter, now: t0, limit: 2).map(\.eventID) == [start + 1, start + 2])
            #expect(try await db.reporters.due(reporter, now: t0.addingTimeInterval(-1), limit: 10).isEmpty)
            let (first, second, third) = (queued[0].id, queued[1].id, queued[2].id)

            #expect(try await db.reporters.supersedeStale(fence) == 1, "the first is followed by the third")
            try await db.reporters.markSending(second, fence: fence)
            try await db.reporters.markRetry(second, error: "HTTP 502", next: t0.addingTimeInterval(60), fence: fence)
            #expect(try await db.reporters.due(reporter, now: t0, limit: 10).map(\.id) == [third])
            try await db.reporters.markSending(third, fence: fence)
            try await db.reporters.markDelivered(third, status: 201, at: t0.addingTimeInterval(2), fence: fence)
            #expect(try await db.reporters.due(reporter, now: t0.addingTimeInterval(59), limit: 10).isEmpty)
            let retried = try #require(
                try await db.reporters.due(reporter, now: t0.addingTimeInterval(60), limit: 10).first)
            #expect(retried.id == second && retried.attempts == 1)
            #expect(retried.lastError == "HTTP 502" && retried.lastErrorAt == t0)

            try await db.reporters.markSending(second, fence: fence)
            try await db.reporters.markFailed(
                second, error: "HTTP 404: Not Found", at: t0.addingTimeInterval(61), fence: fence)
            #expect(try await db.reporters.supersedeStale(fence) == 0, "only pending ones")

            let all = try await db.reporters.deliveries(limit: 10)
            #expect(all.map(\.id) == [third, second, first], "newest first")
            #expect(all.map(\.state) == [.delivered, .failed, .superseded])
            #expect(all[0].status == 201 && all[0].deliveredAt == t0.addingTimeInterval(2) && all[0].attempts == 0)
            #expect(all[1].attempts == 2 && all[1].lastErrorAt == t0.addingTimeInterval(61))
            #expect(try await db.reporters.deliveries(reporter: "github", limit: 2).map(\.id) == [third, second])
            #expect(
                try await db.reporters.deliveries(reporter: "github", limit: 2, before: second).map(\.id) == [first])
            #expect(try await db.reporters.deliveries(reporter: "gitlab", limit: 10).isEmpty)

            let status = try #require(try await db.reporters.statuses().first)
            #expect(status.id == reporter && status.name == "github" && status.masterID == fence.masterID)
            #expect(status.cursor == start + 3)
            #expect(status.pending == 0 && status.failed == 1 && status.interrupted == 0 && status.delivered == 1)
            #expect(status.lastDeliveredAt == t0.addingTimeInterval(2))
            #expect(status.lastError == "HTTP 404: Not Found" && status.lastErrorAt == t0.addingTimeInterval(61))
        }
    }

    @Test(
        "finished deliveries are deleted once old, in batches; pending ones are kept", arguments: TestBackend.enabled)
    func deleteFinished(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let fence = try await claimed(db)
            let start = try await db.reporters.cursor(fence)
            let t0 = time.now
            let count = ReportersConnector.deleteBatch + 5
            try await db.reporters.enqueue(
                (1...count).map { report(start + $0) }, fence: fence, from: start, to: start + count, now: t0)
            let ids = try await db.reporters.due(fence.serviceID, now: t0, limit: count).map(\.id)
            try #require(ids.count == count)
            let (delivered, failed, pending) = (ids[0], ids[1], ids[count - 1])
            try await db.reporters.markDelivered(delivered, status: 200, at: t0.addingTimeInterval(10), fence: fence)
            try await db.reporters.markFailed(failed, error: "refused", at: t0.addingTimeInterval(20), fence: fence)
            #expect(try await db.reporters.supersedeStale(fence) == count - 3, "all but the newest of the target")

            #expect(try await db.reporters.deleteFinished(olderThan: t0) == 0)
            #expect(try await db.reporters.deleteFinished(olderThan: t0.addingTimeInterval(11)) == count - 2)
            #expect(try await db.reporters.deliveries(limit: 10).map(\.id) == [pending, failed])
            #expect(try await db.reporters.deleteFinished(olderThan: t0.addingTimeInterval(3600)) == 1)
            #expect(try await db.reporters.deliveries(limit: 10).map(\.id) == [pending])
        }
    }

    @Test(
        "a mail a dead holder was sending is marked interrupted, once, and not sent again",
        arguments: TestBackend.enabled)
    func recoverInterrupted(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let old = try await claimed(db, "mail", by: "a")
            let start = try await db.reporters.cursor(old)
            try await db.reporters.enqueue(
                [report(start + 1), report(start + 1, 1, target: "mail:2")], fence: old, from: start, to: start + 1,
                now: time.now)
            let sent = try #require(try await db.reporters.due(old.serviceID, now: time.now, limit: 1).first)
            try await db.reporters.markSending(sent.id, fence: old)
            try await db.masters.masterStopped(try await db.masters.findMasterId("a"))
            let mail = try await claimed(db, "mail", by: "b")

            #expect(try await db.reporters.recoverInterrupted(mail) == 1)
            #expect(try await db.reporters.recoverInterrupted(mail) == 0, "once")
            let waiting = try await db.reporters.due(mail.serviceID, now: time.now, limit: 10)
            #expect(waiting.count == 1 && waiting.first?.id != sent.id)
            let interrupted = try #require(
                try await db.reporters.deliveries(reporter: "mail", limit: 10).first { $0.id == sent.id })
            #expect(interrupted.state == .interrupted)
            #expect(interrupted.lastError == ReportersConnector.interruptedError && interrupted.lastErrorAt == time.now)
            let status = try #require(try await db.reporters.statuses().first)
            #expect(status.pending == 1 && status.interrupted == 1)
        }
    }

    @Test(
        "an expired master's reporter claims are released, even one that died while starting",
        arguments: TestBackend.enabled)
    func expiry(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let dead = try await claimed(db, "github", by: "dead")
            let starting = try await db.masters.findMasterId("starting")
            try await db.claims(.reporter).claim(try await db.reporters.findReporterId("mail"), masterid: starting)
            #expect(try await db.count("reporter_masters") == 2)
            time.advance(by: 60)
            let live = try await db.masters.findMasterId("live")
            try await db.masters.masterActive(live)

            let expired = try await db.masters.expireMasters(
                staleBefore: time.now.addingTimeInterval(-30), except: live)
            #expect(expired.map(\.id) == [dead.masterID])
            #expect(try await db.count("reporter_masters") == 0)
            let taken = try await db.claims(.reporter).claim(dead.serviceID, masterid: live)
            #expect(taken.epoch > dead.epoch)
        }
    }

    @Test(
        "subjects follow requests from queue to result, with the previous result and failing steps on demand",
        arguments: TestBackend.enabled)
    func subjects(_ backend: TestBackend) async throws {
        try await withTestDatabase(backend, clock: time.clock) { db in
            let master = try await db.masters.findMasterId("m1")
            try await db.masters.masterActive(master)
            let builder = try await db.builders.findBuilderId("linux")
            try await db.builders.updateBuilderInfo(builder, description: nil, tags: ["fast", "linux"])
            let worker = try await db.workers.findWorkerId("w1")
            let repository = "https://github.com/acme/app.git"
            let ada = NewChange(
                author: "Ada <ada@example.com>", revision: "abc123", branch: "main", repository: repository,
                project: "app")
            var bob = ada
            bob.author = "Bob <bob@example.com>"
            let first = try await db.changes.addChange(ada)
            try await db.changes.addChange(bob)
            try await db.changes.addChange(ada)
            let stamp = try #require(try await db.changes.getChange(first)).sourceStampID
            let start = try await db.events.latestEventID()

            func buildset(_ reason: String) async throws -> (buildset: Int, request: Int) {
                let (buildset, requests) = try await db.buildsets.addBuildset(
                    reason: reason, builderids: [builder], sourceStampIDs: [stamp])
                return (buildset, try #require(requests[builder]))
            }
            func started(_ request: Int) async throws -> Int {
                try await db.buildRequests.claimBuildRequests([request], masterid: master)
                return try await db.builds.addBuild(
                    builderid: builder, buildrequestid: request, workerid: worker, masterid: master
                ).id
            }
            func end(_ build: Int, _ request: Int, _ results: BuildResult) async throws {
                _ = try await db.builds.endBuild(build, results: results, buildrequestid: request, masterid: master)
            }

            let nightly = try await buildset("nightly")
            let passed = try await started(nightly.request)
            try await end(passed, nightly.request, .success)

            let push = try await buildset("push")
            let retried = try await started(push.request)
            try await end(retried, push.request, .retry)
            let failed = try await started(push.request)
            let compile = try await db.steps.addStep(buildid: failed, name: "compile")
            try await db.steps.finishStep(compile.id, results: .success)
            let lint = try await db.steps.addStep(buildid: failed, name: "lint")
            try await db.steps.setStepStateString(lint.id, "lint warnings")
            try await db.steps.finishStep(lint.id, results: .warnings)
            let test = try await db.steps.addStep(buildid: failed, name: "test")
            let summary = try await db.logs.addLog(stepid: test.id, name: "summary", kind: .text)
            try await db.logs.appendLog(summary, "3 failed\n")
            let stdio = try await db.logs.addLog(stepid: test.id, name: "stdio", kind: .stdio)
            let output = (1...43).map { "\($0.isMultiple(of: 2) ? "e" : "o")line \($0)\n" }.joined()
            try await db.logs.appendLog(stdio, "hmake test\n" + output + "oprogress\r\n")
            try await db.steps.setStepStateString(test.id, "test failed")
            try await db.steps.finishStep(test.id, results: .failure)
            try await end(failed, push.request, .failure)

            let cancelled = try await buildset("cancel me")
            #expect(
                try await db.buildRequests.cancelBuildRequest(cancelled.request, reason: "no", masterid: master)
                    == .cancelled)

            let events = try await db.events.events(after: start, limit: 1_000)
            let subjects = try await db.reporters.subjects(for: events, details: true)
            let named = subjects.map { subject in
                subject.build.map { "\(subject.moment.rawValue) build \($0.id)" }
                    ?? "\(subject.moment.rawValue) request \(subject.buildRequestID)"
            }
            #expect(
                named == [
                    "requested request \(nightly.request)", "started build \(passed)", "finished build \(passed)",
                    "requested request \(push.request)", "started build \(retried)", "finished build \(retried)",
                    "started build \(failed)", "finished build \(failed)", "requested request \(cancelled.request)",
                    "cancelled request \(cancelled.request)",
                ])
            try #require(subjects.count == 10)
            #expect(subjects.map(\.eventID) == subjects.map(\.eventID).sorted())
            #expect(subjects[0].reason == "nightly" && subjects[0].build == nil && subjects[0].results == nil)
            #expect(subjects[2].previousResults == nil && subjects[2].failingSteps.isEmpty, "the builder's first build")
            #expect(subjects[5].results == .retry && subjects[5].previousResults == .success)
            #expect(subjects[6].build?.results == nil && subjects[6].build?.completeAt == nil, "as it started")
            #expect(subjects[6].build?.number == 3)
            #expect(subjects[9].results == .cancelled && subjects[9].reason == "cancel me")

            let finished = subjects[7]
            #expect(finished.builder == ReportBuilder(id: builder, name: "linux", tags: ["fast", "linux"]))
            #expect(finished.buildRequestID == push.request && finished.buildsetID == push.buildset)
            #expect(finished.reason == "push")
            #expect(
                finished.build
                    == ReportBuild(
                        id: failed, number: 3, results: .failure, stateString: "finished", startedAt: time.now,
                        completeAt: time.now, workerName: "w1"))
            #expect(
                finished.sourceStamps == [
                    ReportSourceStamp(repository: repository, branch: "main", revision: "abc123", project: "app")
                ])
            #expect(finished.blamelist == ["Ada <ada@example.com>", "Bob <bob@example.com>"])
            #expect(finished.previousResults == .success, "the retried build is passed over")
            let tail = (5...43).map { "line \($0)\n" }.joined() + "progress\r\n"
            #expect(
                finished.failingSteps == [
                    ReportStep(number: 1, name: "lint", results: .warnings, stateString: "lint warnings"),
                    ReportStep(
                        number: 2, name: "test", results: .failure, stateString: "test failed", logName: "stdio",
                        logTail: tail),
                ])

            let plain = try await db.reporters.subjects(for: events, details: false)
            #expect(plain.map(\.eventID) == subjects.map(\.eventID))
            #expect(plain[7].previousResults == nil && plain[7].failingSteps.isEmpty)
            #expect(plain[7].build == finished.build && plain[7].blamelist == finished.blamelist)

            let others = [
                FeedEvent(id: 1, key: "builds/999999/finished", payload: [:], at: time.now),
                FeedEvent(id: 2, key: "steps/\(test.id)/new", payload: [:], at: time.now),
                FeedEvent(id: 3, key: "builds/latest/new", payload: [:], at: time.now),
                FeedEvent(id: 4, key: "buildrequests/\(cancelled.request)/cancelled", payload: [:], at: time.now),
            ]
            #expect(
                try await db.reporters.subjects(for: others, details: true).map(\.eventID) == [4],
                "gone, unreported and malformed events are skipped")
        }
    }
}
