import Foundation
import GantryTesting
import GantryWire
import GantryWorkers
import Testing

/// The master's end of `upload_file`, driven as a worker would drive it.
@Suite("File uploads are delivered whole and within maxsize", .paced)
struct FileWriterTests {
    private func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-upload-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private func write(_ count: Int) -> WireRequest {
        WireRequest(
            op: "update_upload_file_write", seq: 1,
            fields: [.init("args", .binary([UInt8](repeating: 1, count: count)))])
    }

    private let closing = WireRequest(op: "update_upload_file_close", seq: 2)

    @Test("a file of exactly maxsize bytes is delivered")
    func exactlyMaxsize() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let writer = try FileWriter(destination: root.appendingPathComponent("out.bin"), maxsize: 1000)
        _ = try await writer.handle(write(600))
        _ = try await writer.handle(write(400))
        _ = try await writer.handle(closing)
        await writer.finish(succeeded: true)
        #expect(await writer.problem == nil)
        #expect(try Data(contentsOf: root.appendingPathComponent("out.bin")).count == 1000)
    }

    @Test("the write going over maxsize is refused; a worker reporting success anyway gets nothing delivered")
    func overMaxsize() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let writer = try FileWriter(destination: root.appendingPathComponent("out.bin"), maxsize: 1000)
        _ = try await writer.handle(write(600))
        await #expect(throws: (any Error).self) { try await writer.handle(write(600)) }
        await #expect(throws: (any Error).self) { try await writer.handle(write(1)) }
        _ = try await writer.handle(closing)
        await writer.finish(succeeded: true)
        #expect(await writer.problem == "the file is larger than maxsize (1000 bytes)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    @Test("a command that succeeded without closing the upload delivers nothing and says so")
    func neverClosed() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let writer = try FileWriter(destination: root.appendingPathComponent("out.bin"))
        _ = try await writer.handle(write(10))
        await writer.finish(succeeded: true)
        #expect(await writer.problem != nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }
}
