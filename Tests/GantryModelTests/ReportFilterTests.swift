import Foundation
import GantryModel
import Testing

@Suite("Which builds a reporter reports on")
struct ReportFilterTests {
    private func subject(
        builder: String = "linux-x86", tags: [String] = ["fast"], branches: [String?] = ["main"],
        moment: ReportSubject.Moment = .finished, results: BuildResult = .success
    ) -> ReportSubject {
        ReportSubject(
            eventID: 1, moment: moment, builder: ReportBuilder(id: 1, name: builder, tags: tags), buildRequestID: 2,
            buildsetID: 3,
            build: moment == .finished || moment == .started
                ? ReportBuild(
                    id: 4, number: 5, results: moment == .finished ? results : nil,
                    startedAt: Date(timeIntervalSince1970: 0))
                : nil,
            sourceStamps: branches.map { ReportSourceStamp(repository: "https://git.example.com/app.git", branch: $0) })
    }

    @Test("no list given matches every subject")
    func empty() {
        #expect(ReportFilter().matches(subject()))
        #expect(ReportFilter().matches(subject(tags: [], branches: [nil])))
    }

    @Test("builders by glob, any tag, any stamp's branch by glob: each list given must match")
    func lists() throws {
        let filter = ReportFilter(
            builders: [try Pattern(glob: "linux-*")], tags: ["fast", "release"],
            branches: [try Pattern(glob: "release/*"), try Pattern(glob: "main")])
        #expect(filter.matches(subject()))
        #expect(filter.matches(subject(branches: [nil, "release/2.0"])))
        #expect(!filter.matches(subject(builder: "mac-arm")))
        #expect(!filter.matches(subject(builder: "xlinux-x86")), "a glob matches the whole name")
        #expect(!filter.matches(subject(tags: ["slow"])))
        #expect(!filter.matches(subject(branches: ["dev"])))
        #expect(!filter.matches(subject(branches: [nil])), "a stamp without a branch matches no branch")
    }

    @Test("results filter finished builds and cancelled requests; pending and running always pass")
    func results() {
        let filter = ReportFilter(results: [.failure, .cancelled])
        #expect(filter.matches(subject(results: .failure)))
        #expect(!filter.matches(subject(results: .success)))
        #expect(filter.matches(subject(moment: .cancelled)))
        #expect(filter.matches(subject(moment: .requested)))
        #expect(filter.matches(subject(moment: .started)))
    }
}
