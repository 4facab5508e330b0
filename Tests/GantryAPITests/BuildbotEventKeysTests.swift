import GantryModel
import Testing

@testable import GantryAPI

@Suite("Buildbot's event keys")
struct BuildbotEventKeysTests {
    @Test(
        "an event goes out under each path Buildbot routes it by, its own key among them",
        arguments: [
            (
                "builds/4/update", ["builderid": 1, "number": 3, "workerid": 2] as JSONValue,
                ["builders/1/builds/3/update", "builds/4/update", "workers/2/builds/4/update"]
            ),
            // A build not yet on a worker has no worker key.
            (
                "builds/4/new", ["builderid": 1, "number": 3, "workerid": nil] as JSONValue,
                ["builders/1/builds/3/new", "builds/4/new"]
            ),
            (
                "steps/13/started", ["buildid": 4, "number": 0] as JSONValue,
                ["builds/4/steps/13/started", "steps/13/started"]
            ),
            (
                "logs/2/append", ["stepid": 6, "slug": "stdio", "num_lines": 13] as JSONValue,
                ["logs/2/append", "steps/6/logs/stdio/append"]
            ),
            (
                "buildrequests/5/claimed", ["buildsetid": 3, "builderid": 1] as JSONValue,
                [
                    "buildsets/3/builders/1/buildrequests/5/claimed", "buildrequests/5/claimed",
                    "builders/1/buildrequests/5/claimed",
                ]
            ),
            ("buildsets/3/complete", ["bsid": 3] as JSONValue, ["buildsets/3/complete"]),
            ("workers/2/connected", ["workerid": 2] as JSONValue, ["workers/2/connected"]),
            ("pools/local/start_requested", [:] as JSONValue, ["pools/local/start_requested"]),
            // What the payload lacks, or cannot stand as one segment, makes no key.
            ("logs/2/new", ["stepid": 6, "slug": "a/b"] as JSONValue, ["logs/2/new"]),
            ("steps/13/new", [:] as JSONValue, ["steps/13/new"]),
        ])
    func keys(_ key: String, _ payload: JSONValue, _ expected: [String]) {
        #expect(BuildbotEventKeys.keys(key, payload: payload) == expected)
    }

    @Test("the keys of the recorded build's events are those a Buildbot 4.3 master sent, in its order")
    func recorded() throws {
        let events = try BuildbotWSRecording().events(after: "force another build")
        #expect(events.count > 50)
        var produced: [String] = []
        for event in events where Self.isFeedEvent(event.key) {
            produced += BuildbotEventKeys.keys(event.key, payload: event.payload)
        }
        // Gantry's feed has no property or test result events.
        let sent = events.map(\.key).filter { !$0.contains("/properties/") && !$0.hasPrefix("test_result_sets/") }
        #expect(produced == sent)
    }

    /// Whether `key` is one Gantry's event feed has: a resource's own key, not one of its other paths.
    static func isFeedEvent(_ key: String) -> Bool {
        let parts = key.split(separator: "/")
        return parts.count == 3 && ["builds", "steps", "logs", "buildrequests", "buildsets"].contains(parts[0])
    }
}
