import Foundation
import GantryModel
import Testing

@Suite("JSON shapes")
struct CodingTests {
    private func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test("a master encodes with the data API's names and epoch seconds, and decodes back")
    func master() throws {
        let master = Master(id: 3, name: "h:/b", active: true, lastActive: Date(timeIntervalSince1970: 1_348_971_992))
        let text = try json(master)
        #expect(text == #"{"active":true,"last_active":1348971992,"masterid":3,"name":"h:\/b"}"#)
        #expect(try JSONDecoder().decode(Master.self, from: Data(text.utf8)) == master)
    }

    @Test("a worker encodes with the data API's names, connected_to as master objects, and decodes back")
    func worker() throws {
        let worker = Worker(
            id: 30,
            name: "zero",
            workerInfo: ["os": "linux", "cores": 2, "tags": ["a", nil]],
            paused: true,
            pauseReason: "disk",
            configuredOn: [BuilderMaster(builderID: 20, masterID: 10)],
            connectedTo: [10]
        )
        let text = try json(worker)
        #expect(
            text == #"{"configured_on":[{"builderid":20,"masterid":10}],"connected_to":[{"masterid":10}],"#
                + #""graceful":false,"name":"zero","pause_reason":"disk","paused":true,"workerid":30,"#
                + #""workerinfo":{"cores":2,"os":"linux","tags":["a",null]}}"#
        )
        #expect(try JSONDecoder().decode(Worker.self, from: Data(text.utf8)) == worker)
    }

    @Test("JSONValue round-trips through text and serializes with sorted keys")
    func jsonValue() throws {
        let value = try JSONValue(json: #"{"b":[1,true,null,"x"],"a":{"c":1.5}}"#)
        #expect(value == ["a": ["c": .number(1.5)], "b": [1, true, nil, "x"]])
        #expect(value.jsonText == #"{"a":{"c":1.5},"b":[1,true,null,"x"]}"#)
        #expect(throws: (any Error).self) { try JSONValue(json: "{") }
    }
}
