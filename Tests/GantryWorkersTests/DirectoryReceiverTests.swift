import Foundation
import GantryWire
import GantryWorkers
import Testing

/// Tar streams as Python's `tarfile` writes them (the worker's own library), received as an upload_directory.
@Suite("Directory uploads are extracted safely")
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

    /// Sends `archive` in two chunks, unpacks, finishes; whether unpacking was accepted.
    private func receive(_ archive: [UInt8], at destination: URL) async throws -> Bool {
        let receiver = try DirectoryReceiver(destination: destination)
        let half = archive.count / 2
        for chunk in [archive[..<half], archive[half...]] {
            _ = try await receiver.handle(
                WireRequest(op: "update_upload_directory_write", seq: 1, fields: [.init("args", .binary(Array(chunk)))])
            )
        }
        let unpacked = (try? await receiver.handle(WireRequest(op: "update_upload_directory_unpack", seq: 2))) != nil
        await receiver.finish(succeeded: unpacked)
        return unpacked
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
        #expect(try await receive(archive, at: root.appendingPathComponent("out")))
        let out = root.appendingPathComponent("out")
        #expect(try String(contentsOf: out.appendingPathComponent("a.txt"), encoding: .utf8) == "alpha")
        #expect(try String(contentsOf: out.appendingPathComponent(long), encoding: .utf8) == "deep")
        let mode = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("a.txt").path)[
            .posixPermissions]
        #expect(mode as? Int == 0o755)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["out"])
    }

    @Test("absolute names, '..' and links are refused whole: nothing is delivered, nothing is left behind")
    func refuses() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let unsafe: [[(String, String, String)]] = [
            [("ok.txt", "file", "x"), ("/etc/evil", "file", "x")],
            [("ok.txt", "file", "x"), ("sub/../../evil", "file", "x")],
            [("link", "symlink", "/etc/passwd")],
        ]
        for members in unsafe {
            #expect(try await receive(try tar(members), at: root.appendingPathComponent("out")) == false)
        }
        #expect(
            try await receive(
                Array(try tar([("a", "file", "abc")]).prefix(700)), at: root.appendingPathComponent("out")) == false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root.deletingLastPathComponent().path + "/evil"))
    }
}
