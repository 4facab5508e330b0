import GantryTesting
import GantryWire
import Testing

@Suite("Worker protocol envelope", .paced)
struct WireMessageTests {
    /// Scripted peers of the captures, which order keys their own way: their messages must mean the same
    /// after re-encoding, Buildbot's own must be identical.
    static func scripted(_ scenario: String, _ direction: TranscriptVectors.Direction) -> Bool {
        switch direction {
        case .workerToMaster: scenario == "s09_synthetic_client"
        case .masterToWorker: ["s10_synthetic_master", "s13_master_drops", "s14_obfuscated_arg"].contains(scenario)
        }
    }

    @Test("every captured message is a request or a response; Buildbot's re-encode byte for byte")
    func transcripts() throws {
        var requests: Set<String> = []
        for (scenario, messages) in try TranscriptVectors.all() {
            for message in messages {
                guard let wire = try? WireMessage(decoding: message.bytes) else {
                    #expect(scenario == "s09_synthetic_client", "only s09 sends malformed envelopes on purpose")
                    continue
                }
                if Self.scripted(scenario, message.direction) {
                    #expect(try WireMessage(decoding: wire.encoded()) == wire, "\(scenario)")
                } else {
                    #expect(wire.encoded() == message.bytes, "\(scenario)")
                }
                if case .request(let request) = wire { requests.insert(request.op) }
            }
        }
        #expect(
            requests.isSuperset(of: [
                "print", "get_worker_info", "set_worker_settings", "start_command", "interrupt_command", "shutdown",
                "keepalive", "update", "complete", "update_upload_file_write", "update_upload_file_close",
                "update_upload_directory_write", "update_upload_directory_unpack", "update_read_file",
                "update_read_file_close",
            ]))
    }

    @Test("the first exchange of a session, as Buildbot writes it")
    func firstExchange() throws {
        let print = WireMessage.request(WireRequest(op: "print", seq: 0, fields: [.init("message", "attached")]))
        #expect(
            print.encoded() == hex("83a26f70a57072696e74a76d657373616765a86174746163686564aa7365715f6e756d62657200"))
        let answer = try WireMessage(
            decoding: hex("83a26f70a8726573706f6e7365aa7365715f6e756d62657200a6726573756c74c0"))
        #expect(answer == .response(WireResponse(seq: 0)))
        let failed = WireMessage.response(
            WireResponse(seq: 4, result: "Command bogus does not exist.", isException: true))
        guard case .response(let decoded) = try WireMessage(decoding: failed.encoded()) else {
            Issue.record("not a response")
            return
        }
        #expect(decoded.isException && decoded.result == "Command bogus does not exist.")
    }

    @Test("values that are not envelopes are refused with the reason")
    func notEnvelopes() {
        let cases: [(MessagePackValue, WireError)] = [
            ([1, 2], .notAnEnvelope("the message is not a map")),
            (["seq_number": 1], .notAnEnvelope("the message has no 'op'")),
            (["op": "print"], .notAnEnvelope("the message has no integer 'seq_number'")),
            (["op": "print", "seq_number": "one"], .notAnEnvelope("the message has no integer 'seq_number'")),
        ]
        for (value, expected) in cases {
            #expect(throws: expected) { try WireMessage(decoding: value.encoded()) }
        }
        #expect(throws: WireError.malformed("invalid MessagePack format byte 0xc1")) {
            try WireMessage(decoding: [0xc1])
        }
    }

    private func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map { offset in
            let start = text.index(text.startIndex, offsetBy: offset)
            return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)!
        }
    }
}
