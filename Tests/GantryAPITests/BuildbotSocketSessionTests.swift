import Foundation
import GantryModel
import Testing

@testable import GantryAPI

@Suite("Buildbot's WebSocket protocol, decided without a socket")
struct BuildbotSocketSessionTests {
    /// The messages `session` sends for `frame`.
    private func answer(_ session: inout BuildbotSocketSession, _ frame: String) -> [String] {
        guard case .send(let messages) = session.frameReceived(frame) else { return [] }
        return messages
    }

    private func event(_ id: Int, _ key: String, _ payload: JSONValue) -> FeedEvent {
        FeedEvent(id: id, key: key, payload: payload, at: Date(timeIntervalSince1970: 1_800_000_000))
    }

    /// The keys of `action`'s events.
    private func keys(_ action: BuildbotSocketSession.Action) -> [String] {
        guard case .send(let messages) = action else { return [] }
        return messages.compactMap { try? JSONValue(json: $0)["k"]?.string }
    }

    @Test("every frame of the recorded session is answered exactly as the Buildbot 4.3 master answered it")
    func recordedAnswers() throws {
        let recording = try BuildbotWSRecording()
        var session = BuildbotSocketSession()
        var answers: [String] = []
        for frame in recording.sent {
            let replies = answer(&session, frame)
            #expect(replies.count == 1, "\(frame)")
            answers += replies
        }
        #expect(recording.answers.count > 40)
        #expect(answers == recording.answers)
        // Everything consumed was stopped again by the end of the recording.
        let queued = answers.reduce(0) { $0 + $1.utf8.count }
        #expect(session.state == .open(paths: [], queuedBytes: queued))
    }

    @Test("with every path the UI uses consumed, a build's events go out as the recorded master sent them")
    func recordedEvents() throws {
        let recording = try BuildbotWSRecording()
        var session = BuildbotSocketSession()
        for (id, path) in recording.consumedPaths.enumerated() {
            let acknowledged = answer(&session, #"{"cmd":"startConsuming","path":"\#(path)","_id":\#(id)}"#)
            #expect(acknowledged == [#"{"msg":"OK","code":200,"_id":\#(id)}"#])
        }
        let recorded = recording.events(after: "force another build")
        let feed = recorded.filter { BuildbotEventKeysTests.isFeedEvent($0.key) }.enumerated().map {
            event($0.offset + 1, $0.element.key, $0.element.payload)
        }
        let action = session.eventsRead(feed)
        let expected = recorded.filter { !$0.key.contains("/properties/") && !$0.key.hasPrefix("test_result_sets/") }
        #expect(keys(action) == expected.map(\.key))
        guard case .send(let messages) = action else { return }
        for (message, sent) in zip(messages, expected) {
            #expect(try JSONValue(json: message)["m"] == sent.payload)
            #expect(message.hasPrefix(#"{"k":""# + sent.key + #"","m":{"#))
        }
    }

    @Test("events are sent only while a path matching them is consumed, and once per key")
    func consuming() {
        var session = BuildbotSocketSession()
        let build: JSONValue = ["buildid": 7, "builderid": 1, "number": 3, "workerid": nil]
        let update = event(2, "builds/7/update", build)
        let early = session.eventsRead([event(1, "builds/7/new", build)])
        #expect(early == .wait)

        let acknowledged = answer(&session, #"{"cmd":"startConsuming","path":"builders/1/builds/*/*","_id":1}"#)
        #expect(acknowledged == [#"{"msg":"OK","code":200,"_id":1}"#])
        // Two paths matching one key send it once; a path matching nothing sends nothing.
        _ = answer(&session, #"{"cmd":"startConsuming","path":"builders/*/builds/3/*","_id":2}"#)
        _ = answer(&session, #"{"cmd":"startConsuming","path":"builders/2/builds/*/*","_id":3}"#)
        let once = session.eventsRead([update])
        #expect(keys(once) == ["builders/1/builds/3/update"])
        let unmatched = session.eventsRead([event(3, "steps/9/new", ["buildid": 7])])
        #expect(unmatched == .wait)

        _ = answer(&session, #"{"cmd":"startConsuming","path":"builds/*/*","_id":4}"#)
        let both = session.eventsRead([update])
        #expect(keys(both) == ["builders/1/builds/3/update", "builds/7/update"])
        for (id, path) in ["builders/1/builds/*/*", "builders/*/builds/3/*"].enumerated() {
            let stopped = answer(&session, #"{"cmd":"stopConsuming","path":"\#(path)","_id":\#(id + 10)}"#)
            #expect(stopped == [#"{"msg":"OK","code":200,"_id":\#(id + 10)}"#])
        }
        let own = session.eventsRead([update])
        #expect(keys(own) == ["builds/7/update"])
        let again = answer(&session, #"{"cmd":"stopConsuming","path":"builders/1/builds/*/*","_id":"a"}"#)
        #expect(again == [#"{"error":"path was not consumed 'builders/1/builds/*/*'","code":400,"_id":"a"}"#])
    }

    @Test(
        "a frame that is not a command is refused as Buildbot refuses it",
        arguments: [
            (#"not json"#, #"{"error":"websocket frame is not a JSON object","code":400,"_id":null}"#),
            (#"[1]"#, #"{"error":"websocket frame is not a JSON object","code":400,"_id":null}"#),
            (
                #"{"cmd":"ping","_id":null}"#,
                #"{"error":"no '_id' or 'type' in websocket frame","code":400,"_id":null}"#
            ),
            (#"{"_id":3,"cmd":null}"#, #"{"error":"no 'cmd' in websocket frame","code":400,"_id":null}"#),
            (#"{"_id":3,"cmd":7}"#, #"{"error":"no such command type '7'","code":404,"_id":3}"#),
            (
                #"{"_id":3,"cmd":"ping","path":"x"}"#,
                #"{"error":"Invalid method argument 'WsProtocol.cmd_ping() got an unexpected keyword argument "#
                    + #"'path''","code":400,"_id":3}"#
            ),
            (
                #"{"_id":3,"cmd":"stopConsuming"}"#,
                #"{"error":"Invalid method argument 'WsProtocol.cmd_stopConsuming() missing 1 required "#
                    + #"positional argument: 'path''","code":400,"_id":3}"#
            ),
            (
                #"{"_id":3,"cmd":"startConsuming","path":5}"#,
                #"{"error":"Invalid method argument ''path' must be a string'","code":400,"_id":3}"#
            ),
            (
                #"{"_id":3,"cmd":"startConsuming","path":"builds//new"}"#,
                #"{"error":"event path 'builds//new' has an empty segment; separate segments with one '/', "#
                    + #"like builds/*/finished","code":400,"_id":3}"#
            ),
            (#"{"_id":"x","cmd":"ping"}"#, #"{"msg":"pong","code":200,"_id":"x"}"#),
        ])
    func refused(_ frame: String, _ expected: String) {
        var session = BuildbotSocketSession()
        let replies = answer(&session, frame)
        #expect(replies == [expected])
        #expect(session.state == .open(paths: [], queuedBytes: expected.utf8.count))
    }

    @Test("a socket consumes at most its limit of paths")
    func pathLimit() {
        var session = BuildbotSocketSession(limits: .init(maxPaths: 2))
        for (id, path) in ["builds/*/*", "steps/*/*", "builds/*/*"].enumerated() {
            let reply = answer(&session, #"{"cmd":"startConsuming","path":"\#(path)","_id":\#(id)}"#)
            #expect(reply == [#"{"msg":"OK","code":200,"_id":\#(id)}"#])
        }
        let refused = answer(&session, #"{"cmd":"startConsuming","path":"logs/*/*","_id":9}"#)
        #expect(refused == [#"{"error":"at most 2 paths may be consumed on one socket","code":400,"_id":9}"#])
        _ = answer(&session, #"{"cmd":"stopConsuming","path":"steps/*/*","_id":10}"#)
        let taken = answer(&session, #"{"cmd":"startConsuming","path":"logs/*/*","_id":11}"#)
        #expect(taken == [#"{"msg":"OK","code":200,"_id":11}"#])
    }

    @Test("a client that falls behind is cut off, not buffered for; one that keeps up never is")
    func slowClient() {
        var session = BuildbotSocketSession(limits: .init(maxQueuedBytes: 600))
        let ack = answer(&session, #"{"cmd":"startConsuming","path":"logs/*/*","_id":1}"#)
        session.messageWritten(bytes: ack.reduce(0) { $0 + $1.utf8.count })
        let log: JSONValue = ["logid": 2, "stepid": 6, "slug": "stdio", "num_lines": 1, "name": "stdio"]
        let burst = (1...10).map { event($0, "logs/2/append", log) }
        // Nothing waits: a batch is taken whole, whatever its size.
        guard case .send(let first) = session.eventsRead(burst) else {
            Issue.record("the first batch was refused")
            return
        }
        let queued = first.reduce(0) { $0 + $1.utf8.count }
        #expect(queued > 600)
        // Written as fast as it comes: never cut off.
        for message in first { session.messageWritten(bytes: message.utf8.count) }
        let next = session.eventsRead([event(11, "logs/2/append", log)])
        #expect(next != .wait)
        // Not read: the next batch would put it over the limit with earlier messages still waiting.
        guard case .abort(let waiting) = session.eventsRead(burst) else {
            Issue.record("a client that reads nothing was not cut off")
            return
        }
        #expect(waiting > 600)
        #expect(session.state == .closed)
        let ping = session.frameReceived(#"{"cmd":"ping","_id":1}"#)
        let later = session.eventsRead(burst)
        #expect(ping == .wait && later == .wait)
    }
}
