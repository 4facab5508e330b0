import Foundation
import GantryBuilds
import GantryModel
import GantryStorage
import GantryTesting
import GantryWire
import GantryWorkers
import Synchronization
import Testing

/// Uploads from a worker that ignores `maxsize` and reports rc 0 whatever the master answered, played by the
/// test over a real `WorkerLink`: the master's own checks decide the step.
@Suite("Uploads from a worker that ignores the master's refusals", .paced, .timeLimit(.minutes(3)))
struct HostileUploadTests {
    private static let marker = "gantry-hostile-escape"

    @Test("over maxsize or refused on extraction: the step fails though the worker reported rc 0")
    func refusedDespiteSuccess() async throws {
        let master = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-hostile-\(UUID())")
        let uploads = master.appendingPathComponent("uploads")
        try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: master) }
        var file = FileUpload(workersrc: "big.bin", masterdest: uploads.path + "/big.bin")
        file.maxsize = 1000
        var directory = DirectoryUpload(workersrc: "big", masterdest: uploads.path + "/big")
        directory.maxsize = 1000
        let escaping = DirectoryUpload(workersrc: "escaping", masterdest: uploads.path + "/escaping")
        let fine = DirectoryUpload(workersrc: "fine", masterdest: uploads.path + "/fine")
        let steps = [
            Step(name: "file over maxsize", action: .fileUpload(file)),
            Step(name: "directory over maxsize", action: .directoryUpload(directory)),
            Step(name: "escaping", action: .directoryUpload(escaping)),
            Step(name: "fine", action: .directoryUpload(fine)),
        ]
        try await withTestDatabase(.sqlite) { db in
            let peer = UploadPeer()
            let link = WorkerLink(name: "wk1", transport: peer, logger: silentLogger)
            let (runner, job) = try await claimedAssignment(in: db, link: link, steps: steps)
            async let build = runner.run(job)

            let block = MessagePackValue.binary([UInt8](repeating: 1, count: 65_536))
            let fileAnswers = try await peer.play(
                command: 0, on: link,
                [
                    ("update_upload_file_write", block), ("update_upload_file_write", block),
                    ("update_upload_file_close", nil),
                ])
            #expect(fileAnswers == [true, true, false], "both writes are refused; the close is not")
            let big = Self.tar("a.bin", [UInt8](repeating: 2, count: 2000))
            let directoryAnswers = try await peer.play(
                command: 1, on: link,
                [("update_upload_directory_write", .binary(big)), ("update_upload_directory_unpack", nil)])
            #expect(directoryAnswers == [true, true])
            let leaving = Self.tar("../\(Self.marker)", Array("x".utf8))
            let escapingAnswers = try await peer.play(
                command: 2, on: link,
                [("update_upload_directory_write", .binary(leaving)), ("update_upload_directory_unpack", nil)])
            #expect(escapingAnswers == [false, false], "unpack is answered before extraction ends")
            _ = try await peer.play(
                command: 3, on: link,
                [
                    ("update_upload_directory_write", .binary(Self.tar("ok.txt", Array("fine\n".utf8)))),
                    ("update_upload_directory_unpack", nil),
                ])

            let (buildID, results) = try await build
            #expect(results == .failure)
            let stepResults = try await db.steps.getSteps(buildid: buildID).map(\.results)
            #expect(stepResults == [.failure, .failure, .failure, .success])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: uploads.path) == ["fine"])
        #expect(try String(contentsOf: uploads.appendingPathComponent("fine/ok.txt"), encoding: .utf8) == "fine\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: master.path) == ["uploads"])
    }

    /// A ustar archive of one regular file.
    private static func tar(_ name: String, _ content: [UInt8]) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
        }
        put(name, at: 0)
        put("0000644", at: 100)
        put(octal(content.count, digits: 11), at: 124)
        put("00000000000", at: 136)
        put("0", at: 156)
        put("ustar", at: 257)
        put("00", at: 263)
        for index in 148..<156 { header[index] = 32 }
        put(octal(header.reduce(0) { $0 + Int($1) }, digits: 6) + "\0", at: 148)
        let padding = [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
        return header + content + padding + [UInt8](repeating: 0, count: 1024)
    }

    private static func octal(_ value: Int, digits: Int) -> String {
        let text = String(value, radix: 8)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

/// The worker's end of the link: records what the master sends and plays each command as told.
private final class UploadPeer: LinkTransport {
    private let sent = Mutex<[WireMessage]>([])
    private let nextSeq = Mutex(1000)

    func send(_ message: [UInt8]) async throws {
        let decoded = try WireMessage(decoding: message)
        sent.withLock { $0.append(decoded) }
    }

    func close() async {}

    private var messages: [WireMessage] { sent.withLock { $0 } }

    private var starts: [WireRequest] {
        messages.compactMap { message in
            guard case .request(let request) = message, request.op == "start_command" else { return nil }
            return request
        }
    }

    private func answer(to seq: Int) -> WireResponse? {
        for case .response(let response) in messages where response.seq == seq { return response }
        return nil
    }

    /// Waits for command number `command` to start, accepts it, sends `requests` (each with its `args`, if any),
    /// then rc 0 and `complete`; whether each request was answered with an exception.
    func play(command: Int, on link: WorkerLink, _ requests: [(String, MessagePackValue?)]) async throws -> [Bool] {
        _ = await waitUntil { self.starts.count > command }
        let start = try #require(starts.dropFirst(command).first)
        let id = try #require(start["command_id"])
        try await link.receive(WireMessage.response(WireResponse(seq: start.seq)).encoded())
        var exceptions: [Bool] = []
        for (op, args) in requests {
            var fields: [MessagePackValue.MapEntry] = [.init("command_id", id)]
            if let args { fields.insert(.init("args", args), at: 0) }
            let seq = try await deliver(op, fields, to: link)
            exceptions.append(try #require(answer(to: seq)).isException)
        }
        _ = try await deliver("update", [.init("args", [["rc", 0]]), .init("command_id", id)], to: link)
        _ = try await deliver("complete", [.init("args", nil), .init("command_id", id)], to: link)
        return exceptions
    }

    private func deliver(_ op: String, _ fields: [MessagePackValue.MapEntry], to link: WorkerLink) async throws -> Int {
        let seq = nextSeq.withLock { next in
            next += 1
            return next
        }
        try await link.receive(WireMessage.request(WireRequest(op: op, seq: seq, fields: fields)).encoded())
        return seq
    }
}
