import Foundation
import GantryTesting
import GantryWire
import GantryWorkers
import Testing

/// Tar streams as Python's `tarfile` writes them (the worker's own library), received as an upload_directory.
@Suite("Directory uploads are extracted safely", .paced)
struct DirectoryReceiverTests {
    /// A PAX tar stream made by `python3` from `members`: (name, kind, content or link target).
    private func tar(_ members: [(String, String, String)]) throws -> [UInt8] {
        let script = """
            import io, sys, tarfile, json
            out = io.BytesIO()
            with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
                for name, kind, content in json.loads(sys.argv[1]):
                    info = tarfile.TarInfo(name)
                    info.mode = 0o755 if kind == "dir" else 0o4777
                    data = content.encode()
                    if kind == "dir": info.type = tarfile.DIRTYPE
                    elif kind == "symlink": info.type, info.linkname = tarfile.SYMTYPE, content
                    else: info.size = len(data)
                    archive.addfile(info, io.BytesIO(data) if kind == "file" else None)
            sys.stdout.buffer.write(out.getvalue())
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let json = try JSONSerialization.data(withJSONObject: members.map { [$0.0, $0.1, $0.2] })
        process.arguments = ["python3", "-c", script, String(decoding: json, as: UTF8.self)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return [UInt8](data)
    }

    private func write(_ bytes: [UInt8]) -> WireRequest {
        WireRequest(op: "update_upload_directory_write", seq: 1, fields: [.init("args", .binary(bytes))])
    }

    private static let unpack = WireRequest(op: "update_upload_directory_unpack", seq: 2)

    /// Sends `archive` in two chunks (a refused write does not stop it), unpacks and finishes as a command that
    /// succeeded, as a worker that ignores refusals would; the receiver's problem, nil if it delivered.
    private func receive(_ archive: [UInt8], at destination: URL, maxsize: Int? = nil) async throws -> String? {
        let receiver = try DirectoryReceiver(destination: destination, maxsize: maxsize)
        let half = archive.count / 2
        for chunk in [archive[..<half], archive[half...]] {
            _ = try? await receiver.handle(write(Array(chunk)))
        }
        _ = try? await receiver.handle(Self.unpack)
        await receiver.finish(succeeded: true)
        return await receiver.problem
    }

    private func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-tar-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("files, directories and long PAX names arrive; set-id and group/other write bits are dropped")
    func extracts() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let long = String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 120) + ".txt"
        let archive = try tar([("", "dir", ""), ("a.txt", "file", "alpha"), ("sub", "dir", ""), (long, "file", "deep")])
        #expect(try await receive(archive, at: root.appendingPathComponent("out")) == nil)
        let out = root.appendingPathComponent("out")
        #expect(try String(contentsOf: out.appendingPathComponent("a.txt"), encoding: .utf8) == "alpha")
        #expect(try String(contentsOf: out.appendingPathComponent(long), encoding: .utf8) == "deep")
        let mode = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("a.txt").path)[
            .posixPermissions]
        #expect(mode as? Int == 0o755)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["out"])
    }

    @Test("absolute names, '..', links and truncation are refused whole even when the command succeeded")
    func refuses() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let unsafe: [[(String, String, String)]] = [
            [("ok.txt", "file", "x"), ("/etc/evil", "file", "x")],
            [("ok.txt", "file", "x"), ("sub/../../evil", "file", "x")],
            [("link", "symlink", "/etc/passwd")],
        ]
        for members in unsafe {
            #expect(try await receive(try tar(members), at: root.appendingPathComponent("out")) != nil)
        }
        let truncated = Array(try tar([("a", "file", "abc")]).prefix(700))
        #expect(try await receive(truncated, at: root.appendingPathComponent("out")) == "the tar stream ended early")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root.deletingLastPathComponent().path + "/evil"))
    }

    @Test("unpack is answered while extraction is still held; the directory arrives once the command succeeded")
    func unpackAnsweredAtOnce() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        let receiver = try DirectoryReceiver(destination: out)
        let (gate, opening) = AsyncStream<Void>.makeStream()
        await receiver.beforeExtracting {
            for await _ in gate {}
        }
        _ = try await receiver.handle(write(try tar([("a.txt", "file", "alpha")])))
        let answered = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await receiver.handle(Self.unpack)) != nil }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return false
            }
            let first = await group.next() ?? false
            opening.finish()
            group.cancelAll()
            return first
        }
        #expect(answered, "unpack was answered only after extraction")
        await receiver.finish(succeeded: true)
        #expect(await receiver.problem == nil)
        #expect(try String(contentsOf: out.appendingPathComponent("a.txt"), encoding: .utf8) == "alpha")
    }

    @Test("a 64 MiB member is copied through a buffer of at most 64 KiB")
    func boundedMemory() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        let size = 64 << 20
        let receiver = try DirectoryReceiver(destination: out)
        _ = try await receiver.handle(write(TarStream.header("big.bin", size: size)))
        let chunk = [UInt8](repeating: 7, count: 65_536)
        for _ in 0..<(size / chunk.count) { _ = try await receiver.handle(write(chunk)) }
        _ = try await receiver.handle(write(TarStream.end))
        _ = try await receiver.handle(Self.unpack)
        await receiver.finish(succeeded: true)
        #expect(await receiver.problem == nil)
        #expect(await receiver.peakBuffered <= 65_536)
        #expect(try out.appendingPathComponent("big.bin").resourceValues(forKeys: [.fileSizeKey]).fileSize == size)
    }

    @Test("maxsize bounds the tar stream: the write going over is refused and nothing is delivered")
    func maxsize() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let archive = try tar([("a.txt", "file", String(repeating: "x", count: 5000))])
        #expect(try await receive(archive, at: root.appendingPathComponent("fits"), maxsize: archive.count) == nil)

        let over = root.appendingPathComponent("over")
        let receiver = try DirectoryReceiver(destination: over, maxsize: archive.count - 1)
        let half = archive.count / 2
        _ = try await receiver.handle(write(Array(archive[..<half])))
        await #expect(throws: (any Error).self) { try await receiver.handle(write(Array(archive[half...]))) }
        await #expect(throws: (any Error).self) { try await receiver.handle(Self.unpack) }
        await receiver.finish(succeeded: true)
        #expect(await receiver.problem == "the tar stream is larger than maxsize (\(archive.count - 1) bytes)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["fits"])
    }

    @Test("a command that succeeded without unpacking delivers nothing and says so")
    func neverUnpacked() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let receiver = try DirectoryReceiver(destination: root.appendingPathComponent("out"))
        _ = try await receiver.handle(write(try tar([("a.txt", "file", "alpha")])))
        await receiver.finish(succeeded: true)
        #expect(await receiver.problem != nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }
}
