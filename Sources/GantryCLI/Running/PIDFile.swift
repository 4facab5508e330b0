import Foundation

/// `NAME.pid` beside a master's configuration file `NAME.yaml`: how `gantry reconfig` finds the running master.
struct PIDFile {
    let path: String

    init(configPath: String) {
        path = URL(fileURLWithPath: configPath).deletingPathExtension().appendingPathExtension("pid").path
    }

    func write() throws {
        try "\(ProcessInfo.processInfo.processIdentifier)\n".write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Removes the file; one already gone is fine.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The process id written there; `nil` when there is no readable file.
    func read() -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
