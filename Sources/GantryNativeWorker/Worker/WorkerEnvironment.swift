import GantryWire

// Foundation's essentials only: the worker executable loads neither ICU nor the rest of Foundation.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the worker says about itself (`get_worker_info`), as the SPEC lists it: one key per file in
/// `BASEDIR/info` (`admin`, `host`, `access_uri`...), `os_*` from `/etc/os-release`, `environ`, `system`,
/// `basedir`, `numcpus`, `version`, `worker_commands` and `delete_leftover_dirs`.
struct WorkerEnvironment: Sendable {
    let basedir: String
    let info: MessagePackValue

    static let version = "gantry-1"

    /// - Parameter hidden: Parts of the names of variables left out of `environ`, ignoring case.
    init(
        basedir: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        hiding hidden: [String] = WorkerEnviron.hiddenNameParts
    ) {
        self.basedir = basedir
        var entries: [MessagePackValue.MapEntry] = []
        let infoDirectory = basedir + "/info"
        // The info directory and os-release are optional: the worker reports what it can read, as buildbot's does.
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: infoDirectory)) ?? []).sorted() {
            if let text = try? String(contentsOfFile: infoDirectory + "/" + name, encoding: .utf8) {
                entries.append(.init(.string(name), .string(text)))
            }
        }
        let release = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        for line in release.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else { continue }
            let value = line[line.index(after: equals)...].drop { $0 == "\"" }.reversed().drop { $0 == "\"" }
                .reversed()
            guard !value.isEmpty else { continue }
            entries.append(.init(.string("os_" + line[..<equals].lowercased()), .string(String(value))))
        }
        let environ = environment.filter { WorkerEnviron.shows($0.key, hiding: hidden) }.sorted { $0.key < $1.key }
        entries += [
            .init("environ", .map(environ.map { .init(.string($0.key), .string($0.value)) })),
            .init("system", "posix"), .init("basedir", .string(basedir)),
            .init("numcpus", .int(Int64(ProcessInfo.processInfo.activeProcessorCount))),
            .init("version", .string(Self.version)), .init("worker_commands", Commands.versions),
            .init("delete_leftover_dirs", false),
        ]
        info = .map(entries)
    }

}
