import GantryWire

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The worker's file-system commands, each ending with `rc` 0, or 1 and the reason on stderr.
extension Commands {
    /// `paths`: a text or a list of texts.
    private static func paths(_ context: CommandContext) -> [String] {
        if let one = context.args["paths"]?.stringValue { return [one] }
        return context.args["paths"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// Runs `body`; an error ends the command with rc 1 and its description.
    private static func attempt(_ context: CommandContext, _ body: () throws -> Void) async {
        do {
            try body()
            await context.exit(0)
        } catch {
            await context.exit(1, stderr: "\(FileSystemFailure.describe(error))\n")
        }
    }

    static let mkdir = Command(name: "mkdir", required: ["paths"]) { context in
        await attempt(context) {
            for path in paths(context) {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            }
        }
        return nil
    }

    static let rmdir = Command(name: "rmdir", required: ["paths"]) { context in
        await attempt(context) {
            for path in paths(context) where FileManager.default.fileExists(atPath: path) {
                try FileManager.default.removeItem(atPath: path)
            }
        }
        return nil
    }

    static let cpdir = Command(name: "cpdir", required: ["from_path", "to_path"]) { context in
        await attempt(context) {
            guard let from = context.args["from_path"]?.stringValue, let to = context.args["to_path"]?.stringValue
            else {
                throw CocoaError(.fileNoSuchFile)
            }
            if FileManager.default.fileExists(atPath: to) { try FileManager.default.removeItem(atPath: to) }
            try FileManager.default.copyItem(atPath: from, toPath: to)
        }
        return nil
    }

    static let rmfile = Command(name: "rmfile", required: ["path"]) { context in
        await attempt(context) { try FileManager.default.removeItem(atPath: context.args["path"]?.stringValue ?? "") }
        return nil
    }

    /// `stat`: Python's `os.stat` tuple (mode, ino, dev, nlink, uid, gid, size, atime, mtime, ctime).
    static let stat = Command(name: "stat", required: ["path"]) { context in
        guard let path = context.args["path"]?.stringValue, let info = fileStatus(path) else {
            await context.exit(1, stderr: "\(String(cString: strerror(errno)))\n")
            return nil
        }
        let fields: [MessagePackValue] = [
            .int(Int64(info.st_mode)), .int(Int64(info.st_ino)), .int(Int64(info.st_dev)), .int(Int64(info.st_nlink)),
            .int(Int64(info.st_uid)), .int(Int64(info.st_gid)), .int(Int64(info.st_size)),
            .double(Double(info.st_atim.tv_sec)), .double(Double(info.st_mtim.tv_sec)),
            .double(Double(info.st_ctim.tv_sec)),
        ]
        await context.updates.add("stat", .array(fields))
        await context.exit(0)
        return nil
    }

    /// `glob`: the paths matching the pattern, as `files`.
    static let glob = Command(name: "glob", required: ["path"]) { context in
        var found = glob_t()
        defer { globfree(&found) }
        var files: [MessagePackValue] = []
        if Glibc.glob(context.args["path"]?.stringValue ?? "", 0, nil, &found) == 0 {
            for index in 0..<Int(found.gl_pathc) {
                if let path = found.gl_pathv[index] { files.append(.string(String(cString: path))) }
            }
        }
        await context.updates.add("files", .array(files))
        await context.exit(0)
        return nil
    }

    /// `listdir`: the directory's entries, as `files`.
    static let listdir = Command(name: "listdir", required: ["path"]) { context in
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: context.args["path"]?.stringValue ?? "")
            await context.updates.add("files", .array(names.sorted().map(MessagePackValue.string)))
            await context.exit(0)
        } catch {
            await context.exit(1, stderr: "\(FileSystemFailure.describe(error))\n")
        }
        return nil
    }
}

/// `stat(2)` of `path`, nil when it fails (errno says why).
private func fileStatus(_ path: String) -> stat? {
    var info = stat()
    return stat(path, &info) == 0 ? info : nil
}
