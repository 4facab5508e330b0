import Foundation

/// The command lines of the machine's processes, read from /proc, for tests that check what is left running.
enum ProcessTable {
    /// Each process's id and command line (arguments joined by spaces).
    static var all: [(pid: Int32, line: String)] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            return (pid, String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self))
        }
    }

    /// The processes whose command line contains every one of `parts` (empty ones ignored).
    static func matching(_ parts: String...) -> [(pid: Int32, line: String)] {
        all.filter { process in parts.allSatisfy { $0.isEmpty || process.line.contains($0) } }
    }
}
