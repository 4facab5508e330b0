import GantryModel
import Yams

/// Reads the `builders` list: each builder's name, workers and steps.
extension ConfigReader {
    private static let stepKeys: Set<String> = [
        "shell", "name", "workdir", "env", "timeout", "maxTime", "haltOnFailure", "flunkOnFailure", "warnOnFailure",
        "decodeRC",
    ]

    /// `- {name, workers: [NAME], steps: [STEP], description}`; names unique, workers among `known`.
    mutating func builders(_ node: Node?, workers known: Set<String>) -> [BuilderConfig] {
        guard let node else { return [] }
        guard let items = node.sequence else {
            problem("builders", "must be a list")
            return []
        }
        var builders: [BuilderConfig] = []
        for (index, item) in items.enumerated() {
            let path = "builders[\(index)]"
            guard let mapping = item.mapping else {
                problem(path, "must be a mapping")
                continue
            }
            refuseUnknownKeys(mapping, allowed: ["name", "workers", "steps", "description"], at: path)
            guard let name = string(mapping, "name", at: path) else {
                if mapping["name"] == nil { problem(join(path, "name"), "is required") }
                continue
            }
            if builders.contains(where: { $0.name == name }) { problem(join(path, "name"), "'\(name)' is used twice") }
            var builder = BuilderConfig(name: name, description: string(mapping, "description", at: path))
            builder.workers = names(mapping["workers"], at: join(path, "workers"))
            for worker in builder.workers where !known.contains(worker) {
                problem(join(path, "workers"), "'\(worker)' is not a worker of this configuration")
            }
            builder.steps = steps(mapping["steps"], at: join(path, "steps"))
            builders.append(builder)
        }
        return builders
    }

    private mutating func names(_ node: Node?, at path: String) -> [String] {
        guard let node else { return [] }
        guard let items = node.sequence, let names = Optional(items.compactMap(\.string)), names.count == items.count
        else {
            problem(path, "must be a list of names")
            return []
        }
        return names
    }

    private mutating func steps(_ node: Node?, at path: String) -> [ShellStep] {
        guard let node else { return [] }
        guard let items = node.sequence else {
            problem(path, "must be a list of steps")
            return []
        }
        return items.enumerated().compactMap { index, item in step(item, at: "\(path)[\(index)]") }
    }

    /// Buildbot's `ShellCommand`: `shell` as a text (run by `/bin/sh -c`) or a list (run as is).
    private mutating func step(_ node: Node, at path: String) -> ShellStep? {
        guard let mapping = node.mapping else {
            problem(path, "must be a mapping like {shell: make}")
            return nil
        }
        refuseUnknownKeys(mapping, allowed: Self.stepKeys, at: path)
        let command: ShellStep.Command
        if let argv = mapping["shell"]?.sequence {
            let words = argv.compactMap(\.string)
            guard !words.isEmpty, words.count == argv.count else {
                problem(join(path, "shell"), "must be a command text or a non-empty list of words")
                return nil
            }
            command = .argv(words)
        } else if let text = string(mapping, "shell", at: path) {
            command = .shell(text)
        } else {
            if mapping["shell"] == nil { problem(join(path, "shell"), "is required") }
            return nil
        }
        var step = ShellStep(name: string(mapping, "name", at: path) ?? "shell", command: command)
        step.workdir = string(mapping, "workdir", at: path) ?? step.workdir
        if let env = mapping["env"] {
            if let entries = env.mapping {
                for (key, value) in entries {
                    guard let key = key.string, let value = value.string else {
                        problem(join(path, "env"), "must map names to texts")
                        continue
                    }
                    step.env[key] = value
                }
            } else {
                problem(join(path, "env"), "must map names to texts")
            }
        }
        step.timeout = seconds(mapping, "timeout", at: path) ?? step.timeout
        step.maxTime = seconds(mapping, "maxTime", at: path)
        step.haltOnFailure = flag(mapping, "haltOnFailure", at: path) ?? step.haltOnFailure
        step.flunkOnFailure = flag(mapping, "flunkOnFailure", at: path) ?? step.flunkOnFailure
        step.warnOnFailure = flag(mapping, "warnOnFailure", at: path) ?? step.warnOnFailure
        if let decode = mapping["decodeRC"] {
            step.decodeRC = decodeRC(decode, at: join(path, "decodeRC")) ?? step.decodeRC
        }
        return step
    }

    private mutating func seconds(_ mapping: Node.Mapping, _ key: String, at path: String) -> Int? {
        guard let value = duration(mapping, key, at: path) else { return nil }
        return Int(value.components.seconds)
    }

    /// `{CODE: RESULT}` with results named as Buildbot's (`success`, `warnings`, `failure`, ...).
    private mutating func decodeRC(_ node: Node, at path: String) -> [Int: BuildResult]? {
        guard let entries = node.mapping else {
            problem(path, "must map exit codes to results")
            return nil
        }
        var decoded: [Int: BuildResult] = [:]
        for (key, value) in entries {
            guard let code = key.int, let result = value.string.flatMap(BuildResult.init(name:)) else {
                problem(
                    path, "must map exit codes to success, warnings, failure, skipped, exception, retry or cancelled")
                return nil
            }
            decoded[code] = result
        }
        return decoded
    }
}
