import GantryModel
import Testing

@Suite("Buildset completion")
struct BuildsetCompletionTests {
    private func request(_ results: BuildResult?) -> BuildsetCompletion.Request {
        BuildsetCompletion.Request(complete: results != nil, results: results)
    }

    @Test("pending while any request is")
    func pending() {
        #expect(BuildsetCompletion.results(of: [request(.success), request(nil)]) == nil)
    }

    @Test("the worst result of its requests once all are complete")
    func worst() {
        #expect(BuildsetCompletion.results(of: [request(.success), request(.warnings)]) == .warnings)
        #expect(
            BuildsetCompletion.results(of: [request(.failure), request(.cancelled), request(.success)]) == .cancelled)
        #expect(BuildsetCompletion.results(of: [request(.skipped), request(.success)]) == .success)
    }

    @Test("complete requests without a result, or none at all, make it SKIPPED")
    func noResults() {
        #expect(BuildsetCompletion.results(of: []) == .skipped)
        #expect(BuildsetCompletion.results(of: [.init(complete: true, results: nil)]) == .skipped)
    }
}
