import GantryWire
import SystemPackage

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// File transfers, driven from the worker with requests about the command, as a buildbot-worker does them.
extension Commands {
    /// `upload_file`: the file sent in `blocksize` chunks (`maxsize` at most), then closed; `close` is sent
    /// even when the file cannot be read, so the master discards what it has.
    static let uploadFile = Command(name: "upload_file", required: ["path", "blocksize", "maxsize"]) { context in
        let path = context.args["path"]?.stringValue ?? ""
        await context.updates.write("sending \(path)\n", to: "header")
        let commandID: MessagePackValue.MapEntry = .init("command_id", .string(context.id))
        do {
            let (rc, problem) = try await send(path, context: context, op: "update_upload_file_write")
            _ = try await context.session.request("update_upload_file_close", [commandID])
            // The file was just read, so its times can be too; if not, the master's copy keeps its own.
            if context.args["keepstamp"]?.boolValue == true,
                let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970
            {
                _ = try await context.session.request(
                    "update_upload_file_utime",
                    [commandID, .init("access_time", .double(modified)), .init("modified_time", .double(modified))])
            }
            await context.exit(rc, stderr: problem)
        } catch {
            return "upload of \(path) failed: \(error)"
        }
        return nil
    }

    /// `upload_directory`: the directory as a tar stream, then `unpack`.
    static let uploadDirectory = Command(
        name: "upload_directory", required: ["path", "blocksize", "maxsize", "compress"]
    ) { context in
        let path = context.args["path"]?.stringValue ?? ""
        await context.updates.write("sending \(path)\n", to: "header")
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-upload-\(UUID()).tar")
        defer { try? FileManager.default.removeItem(at: archive) }
        do {
            let output = try FileDescriptor.writing(archive.path)
            try output.closeAfter { try TarWriter.write(directory: URL(fileURLWithPath: path), to: output) }
        } catch {
            await context.exit(
                1, stderr: "Cannot read directory '\(path)' for upload: \(FileSystemFailure.describe(error))\n")
            return nil
        }
        do {
            let (rc, problem) = try await send(archive.path, context: context, op: "update_upload_directory_write")
            if rc == 0 {
                _ = try await context.session.request(
                    "update_upload_directory_unpack", [.init("command_id", .string(context.id))])
            }
            await context.exit(rc, stderr: problem)
        } catch {
            return "upload of \(path) failed: \(error)"
        }
        return nil
    }

    /// Sends the file at `path` with `op` in `blocksize` chunks up to `maxsize`; the rc and any problem text.
    private static func send(_ path: String, context: CommandContext, op: String) async throws -> (Int, String?) {
        guard let input = try? FileDescriptor.reading(path) else {
            return (1, "Cannot open file '\(path)' for upload\n")
        }
        defer { try? input.close() }
        let blocksize = max(1, context.args["blocksize"]?.intValue ?? 65_536)
        var remaining = context.args["maxsize"]?.intValue
        while remaining.map({ $0 > 0 }) ?? true {
            if let why = context.running.interruption { return (1, "\(why)\n") }
            let chunk = try input.read(upTo: min(blocksize, remaining ?? blocksize))
            guard !chunk.isEmpty else { return (0, nil) }
            remaining = remaining.map { $0 - chunk.count }
            _ = try await context.session.request(
                op, [.init("command_id", .string(context.id)), .init("args", .binary(chunk))])
        }
        let more = try input.read(upTo: 1)
        return more.isEmpty ? (0, nil) : (1, "Maximum filesize reached, truncating file '\(path)'\n")
    }

    /// `download_file`: chunks asked for with `update_read_file` until an empty one, written to `path`
    /// (parents created, `mode` applied); `update_read_file_close` always ends it.
    static let downloadFile = Command(name: "download_file", required: ["path", "blocksize", "maxsize", "mode"]) {
        context in
        let path = context.args["path"]?.stringValue ?? ""
        let commandID: MessagePackValue.MapEntry = .init("command_id", .string(context.id))
        let blocksize = max(1, context.args["blocksize"]?.intValue ?? 65_536)
        var remaining = context.args["maxsize"]?.intValue
        do {
            let url = URL(fileURLWithPath: path)
            // A directory that cannot be made fails the file's creation below, which is reported.
            try? FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard let output = try? FileDescriptor.writing(path) else {
                _ = try await context.session.request("update_read_file_close", [commandID])
                await context.exit(1, stderr: "Cannot open file '\(path)' for download\n")
                return nil
            }
            var truncated = false
            do {
                while true {
                    if remaining == 0 {
                        truncated = true
                        break
                    }
                    let length = min(blocksize, remaining ?? blocksize)
                    let answer = try await context.session.request(
                        "update_read_file", [commandID, .init("length", .int(Int64(length)))])
                    guard case .binary(let bytes) = answer, !bytes.isEmpty else { break }
                    try output.writeAll(bytes)
                    remaining = remaining.map { $0 - bytes.count }
                }
            } catch {
                try? output.close()
                throw error
            }
            // A close that fails (a full disk, a network file system) fails the download, as a write that fails does.
            try output.close()
            _ = try await context.session.request("update_read_file_close", [commandID])
            if let mode = context.args["mode"]?.intValue { chmod(path, mode_t(mode)) }
            await context.exit(
                truncated ? 1 : 0, stderr: truncated ? "Maximum filesize reached, truncating file '\(path)'\n" : nil)
        } catch {
            return "download to \(path) failed: \(error)"
        }
        return nil
    }
}
