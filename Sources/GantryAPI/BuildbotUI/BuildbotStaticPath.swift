import Foundation

/// A file of Buildbot's `static` folder as a request names it, checked before the file system is asked anything:
/// percent-decoded segments, none of them empty after decoding, `.`, `..`, hidden (`.name`), or holding a `/`, a
/// backslash or a control character. So a name can never climb out of the folder; symbolic links are checked when
/// the file is opened (``BuildbotUI``).
struct BuildbotStaticPath: Sendable, Hashable {
    /// The most segments a name may have, and the longest one.
    static let maxSegments = 16
    static let maxSegmentLength = 255

    /// The decoded segments, in order; never empty.
    let segments: [String]

    /// The file `path` names, as it follows the mount path (`/assets/index-D1Qujclx.js`, or `assets/…`); empty
    /// segments (`//icon.svg`, which the UI asks for) are skipped. `nil` when it names no file that may be served.
    init?(_ path: Substring) {
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard segments.count < Self.maxSegments, let segment = String(raw).removingPercentEncoding,
                Self.isAllowed(segment)
            else { return nil }
            segments.append(segment)
        }
        guard !segments.isEmpty else { return nil }
        self.segments = segments
    }

    /// The path relative to the folder.
    var relative: String { segments.joined(separator: "/") }

    /// The file's name, its last segment.
    var name: String { segments[segments.count - 1] }

    /// The `Content-Type` the file is served with, by its extension.
    var contentType: String {
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        return Self.contentTypes[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }

    /// The `Cache-Control` the file is served with: a content-hashed build output (`assets/index-D1Qujclx.js`)
    /// never changes under its name and is kept for a year; anything else is checked again on every use.
    var cacheControl: String {
        segments.count == 2 && segments[0] == "assets" && Self.isContentHashed(name)
            ? "public, max-age=31536000, immutable" : "no-cache"
    }

    /// Whether `segment` may be part of a served name.
    private static func isAllowed(_ segment: String) -> Bool {
        !segment.isEmpty && segment.utf8.count <= maxSegmentLength && !segment.hasPrefix(".")
            && !segment.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Whether `name` carries a content hash the way the UI's bundler writes it: `stem-HASH.ext`, HASH at least 8
    /// letters, digits or `_`.
    static func isContentHashed(_ name: String) -> Bool {
        guard let stem = name.split(separator: ".", omittingEmptySubsequences: false).first,
            let dash = stem.lastIndex(of: "-")
        else { return false }
        let hash = stem[stem.index(after: dash)...]
        return hash.count >= 8 && hash.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    private static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "json": "application/json",
        "map": "application/json",
        "webmanifest": "application/manifest+json",
        "txt": "text/plain; charset=utf-8",
        "svg": "image/svg+xml",
        "png": "image/png",
        "gif": "image/gif",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "webp": "image/webp",
        "ico": "image/x-icon",
        "woff": "font/woff",
        "woff2": "font/woff2",
        "ttf": "font/ttf",
        "eot": "application/vnd.ms-fontobject",
    ]
}
