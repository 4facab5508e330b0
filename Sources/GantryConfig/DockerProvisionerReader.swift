import GantryModel
import Yams

/// Reads a `docker` pool provisioner.
extension ConfigReader {
    /// `{type: docker, image, socket, command, env, mounts, network, memory, cpus, labels, stopGrace}`: the image
    /// is required, the rest says how its containers run. `nil` when the image is missing or invalid.
    mutating func dockerProvisioner(_ mapping: Node.Mapping, at path: String) -> PoolConfig.Provisioner? {
        refuseUnknownKeys(
            mapping,
            allowed: [
                "type", "socket", "image", "command", "env", "mounts", "network", "memory", "cpus", "labels",
                "stopGrace",
            ],
            at: path)
        if mapping["image"] == nil { problem(join(path, "image"), "is required") }
        var image = string(mapping, "image", at: path)
        if let text = image, text.contains(where: \.isWhitespace) {
            problem(join(path, "image"), "'\(text)' must be an image reference, without spaces")
            image = nil
        }
        var settings = DockerSettings(image: image ?? "")
        settings.socket = dockerSocket(mapping, at: path) ?? settings.socket
        if let node = mapping["command"] {
            let words = node.sequence?.compactMap(\.string) ?? []
            if words.isEmpty || words.count != node.sequence?.count {
                problem(join(path, "command"), "must be a non-empty list of words")
            } else {
                settings.command = words
            }
        }
        settings.environment = dockerEnvironment(mapping["env"], at: join(path, "env"))
        settings.mounts = dockerMounts(mapping["mounts"], at: join(path, "mounts"))
        settings.network = string(mapping, "network", at: path)
        settings.memoryBytes = dockerMemory(mapping["memory"], at: join(path, "memory"))
        if let node = mapping["cpus"] {
            if let cpus = node.float, (0.01...1024).contains(cpus) {
                settings.cpus = cpus
            } else {
                problem(join(path, "cpus"), "must be a number of CPUs from 0.01 to 1024")
            }
        }
        settings.labels = dockerLabels(mapping["labels"], at: join(path, "labels"))
        settings.stopGrace = duration(mapping, "stopGrace", at: path, zeroAllowed: true) ?? settings.stopGrace
        return image == nil ? nil : .docker(settings)
    }

    /// The longest path a unix socket's address holds (macOS's 104 bytes, less the terminating zero).
    private static let maxSocketPath = 103

    private mutating func dockerSocket(_ mapping: Node.Mapping, at path: String) -> String? {
        guard let socket = string(mapping, "socket", at: path) else { return nil }
        guard socket.hasPrefix("/") else {
            problem(join(path, "socket"), "'\(socket)' must be an absolute path")
            return nil
        }
        guard socket.utf8.count <= Self.maxSocketPath else {
            problem(join(path, "socket"), "must be at most \(Self.maxSocketPath) bytes long, as a socket's path")
            return nil
        }
        return socket
    }

    /// `{NAME: value}`; the master's own variables are refused, as it sets them for each worker.
    private mutating func dockerEnvironment(_ node: Node?, at path: String) -> [String: String] {
        guard let node else { return [:] }
        guard let entries = node.mapping else {
            problem(path, "must map variable names to values")
            return [:]
        }
        var environment: [String: String] = [:]
        for (key, value) in entries {
            guard let name = key.string, Self.isVariableName(name), let text = value.scalar?.string else {
                problem(path, "'\(key.string ?? "?")' must be a variable name (letters, digits, _) with a text value")
                continue
            }
            guard !["WORKER_NAME", "WORKER_PASSWORD", "MASTER_URL"].contains(name) else {
                problem(
                    join(path, name),
                    "is the master's: it sets WORKER_NAME, WORKER_PASSWORD and MASTER_URL for each worker")
                continue
            }
            environment[name] = text
        }
        return environment
    }

    /// A shell's variable name: a letter or `_`, then letters, digits and `_`.
    private static func isVariableName(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// `- SOURCE:TARGET` or `- SOURCE:TARGET:ro`, both absolute: the engine takes a relative source for a volume's
    /// name.
    private mutating func dockerMounts(_ node: Node?, at path: String) -> [String] {
        guard let node else { return [] }
        guard let items = node.sequence else {
            problem(path, "must be a list of SOURCE:TARGET or SOURCE:TARGET:ro")
            return []
        }
        var mounts: [String] = []
        for (index, item) in items.enumerated() {
            let parts = item.string?.split(separator: ":", omittingEmptySubsequences: false) ?? []
            guard let mount = item.string, parts.count == 2 || (parts.count == 3 && parts[2] == "ro"),
                parts[0].hasPrefix("/"), parts[1].hasPrefix("/")
            else {
                problem(
                    "\(path)[\(index)]",
                    "'\(item.string ?? "?")' must be SOURCE:TARGET or SOURCE:TARGET:ro, with absolute paths")
                continue
            }
            mounts.append(mount)
        }
        return mounts
    }

    /// The least memory the engines accept, 6 MiB.
    private static let minMemory = 6 << 20

    /// A number of bytes, or a whole number of KiB, MiB or GiB (`512m`, `2g`), as `docker run --memory` takes it.
    private mutating func dockerMemory(_ node: Node?, at path: String) -> Int? {
        guard let node else { return nil }
        let text = node.scalar?.string.lowercased() ?? ""
        let units: [Character: Int] = ["b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30]
        let unit = text.last.flatMap { units[$0] }
        let digits = unit == nil ? text[...] : text.dropLast()
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            problem(path, "must be a size like 512m or 2g (k, m and g are KiB, MiB and GiB), or a number of bytes")
            return nil
        }
        let product = Int(digits).map { $0.multipliedReportingOverflow(by: unit ?? 1) }
        guard let product, !product.overflow else {
            problem(path, "'\(text)' is too large")
            return nil
        }
        let bytes = product.partialValue
        guard bytes >= Self.minMemory else {
            problem(path, "must be at least 6m, the least the engines accept")
            return nil
        }
        return bytes
    }

    /// `{KEY: value}`; `gantry.*` keys are refused, as the master's labels tell whose each container is.
    private mutating func dockerLabels(_ node: Node?, at path: String) -> [String: String] {
        guard let node else { return [:] }
        guard let entries = node.mapping else {
            problem(path, "must map label keys to values")
            return [:]
        }
        var labels: [String: String] = [:]
        for (key, value) in entries {
            guard let name = key.string, !name.isEmpty, let text = value.scalar?.string else {
                problem(path, "'\(key.string ?? "?")' must be a label key with a text value")
                continue
            }
            guard !name.hasPrefix("gantry.") else {
                problem(join(path, name), "gantry.* labels are the master's: they say whose each container is")
                continue
            }
            labels[name] = text
        }
        return labels
    }
}
