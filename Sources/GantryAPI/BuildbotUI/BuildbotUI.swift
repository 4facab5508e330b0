import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Buildbot's own web UI (the React app of the `buildbot-www` package), served by a Gantry master from the UI's
/// installed `static` folder, never bundled with Gantry: its page at `/buildbot/`, its data API at
/// `/buildbot/api/v2` (the same routes as `/api/v2`), its live updates at `/buildbot/ws` (Buildbot's WebSocket
/// protocol, fed by the event feed), and `/buildbot/config`.
///
/// Files are served only from inside the folder: names are checked (``BuildbotStaticPath``) and then resolved
/// with their symbolic links, and a file that resolves outside the folder is not served.
public struct BuildbotUI: Sendable {
    /// Where the UI is served. The UI forms every address from its page's (`./assets/…`, page + `api/v2`,
    /// page + `ws`), so this is the only place it is named.
    public static let mountPath = "/buildbot"
    /// The largest `index.html` read (it is about 2 KiB).
    static let maxIndexBytes = 1 << 20
    /// The largest file served (the UI's script is about 1.1 MiB); files are sent in chunks as they are read.
    static let maxFileBytes = 64 << 20
    /// What the about page gives as Gantry's version.
    public static let gantryVersion = "1"

    /// The `static` folder with its symbolic links resolved.
    let root: String
    /// The address users reach the master at (`publicURL`), for the UI's `buildbotURL`; when `nil`, the address
    /// each request was sent to.
    let publicURL: String?
    /// Whether the master serves HTTPS.
    let secure: Bool

    /// Serves the UI whose `static` folder is `folder` (an absolute path, as the configuration resolves it).
    /// - Parameters:
    ///   - publicURL: The master's `publicURL`, if it has one.
    ///   - secure: Whether the HTTP API is served over TLS.
    public init(folder: String, publicURL: String? = nil, secure: Bool = false) {
        self.root = Self.realPath(folder) ?? folder
        self.publicURL = publicURL
        self.secure = secure
    }

    /// The file `path` names, as an absolute path inside the folder, when it is a regular file of at most
    /// `maxBytes`: symbolic links are followed, and one that leads out of the folder is refused like a missing
    /// file.
    func file(_ path: BuildbotStaticPath, maxBytes: Int = BuildbotUI.maxFileBytes) -> String? {
        guard let resolved = Self.realPath(root + "/" + path.relative), resolved.hasPrefix(root + "/") else {
            return nil
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved),
            attributes[.type] as? FileAttributeType == .typeRegular,
            let size = (attributes[.size] as? NSNumber)?.int64Value, size <= Int64(maxBytes)
        else { return nil }
        return resolved
    }

    /// The UI's `index.html` as text, read whole (it is small); `nil` when it is missing, outside the folder or
    /// larger than ``maxIndexBytes``.
    func indexHTML() -> String? {
        guard let name = BuildbotStaticPath("index.html"), let resolved = file(name, maxBytes: Self.maxIndexBytes),
            let handle = FileHandle(forReadingAtPath: resolved)
        else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: Self.maxIndexBytes + 1), data.count <= Self.maxIndexBytes else {
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `path` with every symbolic link resolved; `nil` when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
