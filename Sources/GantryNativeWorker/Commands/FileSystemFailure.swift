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
enum FileSystemFailure {
    static func describe(_ error: any Error) -> String {
        guard let error = error as? CocoaError, let posix = error.underlying as? POSIXError else { return "\(error)" }
        let text = "[Errno \(posix.code.rawValue)] \(String(cString: strerror(posix.code.rawValue)))"
        return error.filePath.map { "\(text): '\($0)'" } ?? text
    }
}
