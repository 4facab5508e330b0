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

/// A file system error in the words of Python's `OSError` (`[Errno 2] No such file or directory: 'PATH'`),
/// which is what buildbot-worker's file commands print.
struct FileSystemFailure: Error, CustomStringConvertible {
    let code: Int32
    let path: String?

    var description: String {
        let text = "[Errno \(code)] \(String(cString: strerror(code)))"
        return path.map { "\(text): '\($0)'" } ?? text
    }

    /// `error` (a file manager's, a file descriptor's or this) in those words.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let failure as FileSystemFailure:
            return failure.description
        case let errno as Errno:
            return FileSystemFailure(code: errno.rawValue, path: nil).description
        case let error as CocoaError:
            guard let posix = error.underlying as? POSIXError else { return "\(error.code)" }
            return FileSystemFailure(code: posix.code.rawValue, path: error.filePath).description
        default:
            return "\(error)"
        }
    }
}
