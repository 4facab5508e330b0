import Foundation
import GantryModel
import Yams

/// Reads a builder's `steps`: each a mapping whose action key says what it is (`shell`, `git`, `fileUpload`,
/// `fileDownload`, `directoryUpload`, `trigger`; `shell` with `setProperty` is SetPropertyFromCommand), with
/// the common `name`, `haltOnFailure`, `flunkOnFailure`, `warnOnFailure` and `locks`, and the step details (see
/// `StepDetailsReader.swift`).
extension ConfigReader {
    private static let commonKeys = stepDetailKeys.union([
        "name", "haltOnFailure", "flunkOnFailure", "warnOnFailure", "locks",
    ])
    private static let shellKeys: Set<String> = [
        "shell", "setProperty", "workdir", "env", "timeout", "maxTime", "decodeRC",
    ]
    private static let actions = ["shell", "git", "fileUpload", "fileDownload", "directoryUpload", "trigger"]

    mutating func steps(_ node: Node?, triggerable: Set<String>, at path: String) -> [Step] {
        guard let node else { return [] }
        guard let items = node.sequence else {
            problem(path, "must be a list of steps")
            return []
        }
        return items.enumerated().compactMap { index, item in
            step(item, triggerable: triggerable, at: "\(path)[\(index)]")
        }
    }

    private mutating func step(_ node: Node, triggerable: Set<String>, at path: String) -> Step? {
        guard let mapping = node.mapping else {
            problem(path, "must be a mapping like {shell: make}")
            return nil
        }
        let present = Self.actions.filter { mapping[$0] != nil }
        guard present.count == 1, let kind = present.first else {
            problem(path, "must have exactly one of \(Self.actions.joined(separator: ", "))")
            return nil
        }
        let action: Step.Action?
        switch kind {
        case "shell":
            refuseUnknownKeys(mapping, allowed: Self.commonKeys.union(Self.shellKeys), at: path)
            let command = shellCommand(mapping, at: path)
            if let property = string(mapping, "setProperty", at: path) {
                action = command.map { .setPropertyFromCommand($0, property: property) }
            } else {
                action = command.map(Step.Action.shellCommand)
            }
        default:
            refuseUnknownKeys(mapping, allowed: Self.commonKeys.union([kind]), at: path)
            action = self.action(kind, mapping[kind], triggerable: triggerable, at: join(path, kind))
        }
        guard let action else { return nil }
        var step = Step(name: string(mapping, "name", at: path) ?? kind, action: action)
        step.haltOnFailure = flag(mapping, "haltOnFailure", at: path) ?? step.haltOnFailure
        step.flunkOnFailure = flag(mapping, "flunkOnFailure", at: path) ?? step.flunkOnFailure
        step.warnOnFailure = flag(mapping, "warnOnFailure", at: path) ?? step.warnOnFailure
        step.locks = lockAccesses(mapping["locks"], at: join(path, "locks"))
        readStepDetails(mapping, into: &step, at: path)
        return step
    }

    private mutating func action(_ kind: String, _ node: Node?, triggerable: Set<String>, at path: String)
        -> Step.Action?
    {
        guard let mapping = node?.mapping else {
            problem(path, "must be a mapping of the step's settings")
            return nil
        }
        switch kind {
        case "git":
            refuseUnknownKeys(
                mapping, allowed: ["repourl", "branch", "mode", "method", "workdir", "codebase"], at: path)
            guard let repourl = required(mapping, "repourl", at: path) else { return nil }
            var git = GitCheckout(repourl: repourl)
            git.branch = string(mapping, "branch", at: path) ?? git.branch
            git.workdir = string(mapping, "workdir", at: path) ?? git.workdir
            git.codebase = string(mapping, "codebase", at: path) ?? git.codebase
            switch (string(mapping, "mode", at: path), string(mapping, "method", at: path)) {
            case ("incremental", nil), (nil, nil): git.mode = .incremental
            case ("full", let method):
                guard let method = GitCheckout.FullMethod(rawValue: method ?? "fresh") else {
                    problem(join(path, "method"), "must be clobber or fresh")
                    return nil
                }
                git.mode = .full(method: method)
            default:
                problem(join(path, "mode"), "must be incremental, or full with method clobber or fresh")
                return nil
            }
            return .git(git)
        case "fileUpload", "directoryUpload":
            refuseUnknownKeys(
                mapping,
                allowed: Set(
                    ["workersrc", "masterdest", "workdir", "maxsize"]
                        + (kind == "fileUpload" ? ["mode", "url", "urlText"] : [])),
                at: path)
            guard let source = required(mapping, "workersrc", at: path),
                let destination = required(mapping, "masterdest", at: path)
            else { return nil }
            if kind == "directoryUpload" {
                var upload = DirectoryUpload(workersrc: source, masterdest: destination)
                upload.workdir = string(mapping, "workdir", at: path) ?? upload.workdir
                upload.maxsize = count(mapping, "maxsize", at: path)
                return .directoryUpload(upload)
            }
            var upload = FileUpload(workersrc: source, masterdest: destination)
            upload.workdir = string(mapping, "workdir", at: path) ?? upload.workdir
            upload.maxsize = count(mapping, "maxsize", at: path)
            upload.mode = fileMode(mapping, at: path)
            upload.url = webAddress(mapping, "url", at: path)
            upload.urlText = string(mapping, "urlText", at: path)
            return .fileUpload(upload)
        case "fileDownload":
            refuseUnknownKeys(mapping, allowed: ["mastersrc", "workerdest", "workdir", "maxsize", "mode"], at: path)
            guard let source = required(mapping, "mastersrc", at: path),
                let destination = required(mapping, "workerdest", at: path)
            else { return nil }
            var download = FileDownload(mastersrc: source, workerdest: destination)
            download.workdir = string(mapping, "workdir", at: path) ?? download.workdir
            download.maxsize = count(mapping, "maxsize", at: path)
            download.mode = fileMode(mapping, at: path)
            return .fileDownload(download)
        default:
            refuseUnknownKeys(
                mapping,
                allowed: ["schedulerNames", "waitForFinish", "set_properties", "copy_properties", "updateSourceStamp"],
                at: path)
            let schedulers = names(mapping["schedulerNames"], at: join(path, "schedulerNames"))
            guard !schedulers.isEmpty else {
                problem(join(path, "schedulerNames"), "must name at least one triggerable scheduler")
                return nil
            }
            for name in schedulers where !triggerable.contains(name) {
                problem(join(path, "schedulerNames"), "'\(name)' is not a triggerable scheduler of this configuration")
            }
            var trigger = TriggerBuilds(schedulerNames: schedulers)
            trigger.waitForFinish = flag(mapping, "waitForFinish", at: path) ?? trigger.waitForFinish
            trigger.updateSourceStamp = flag(mapping, "updateSourceStamp", at: path) ?? trigger.updateSourceStamp
            trigger.copyProperties = names(mapping["copy_properties"], at: join(path, "copy_properties"))
            trigger.setProperties = texts(mapping["set_properties"], at: join(path, "set_properties"))
            return .trigger(trigger)
        }
    }

    /// Buildbot's `ShellCommand`: `shell` as a text (run by `/bin/sh -c`) or a list (run as is).
    private mutating func shellCommand(_ mapping: Node.Mapping, at path: String) -> ShellCommand? {
        let command: ShellCommand.Command
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
            return nil
        }
        var shell = ShellCommand(command)
        shell.workdir = string(mapping, "workdir", at: path) ?? shell.workdir
        shell.env = texts(mapping["env"], at: join(path, "env"))
        shell.timeout = seconds(mapping, "timeout", at: path) ?? shell.timeout
        shell.maxTime = seconds(mapping, "maxTime", at: path)
        if let decode = mapping["decodeRC"] {
            shell.decodeRC = decodeRC(decode, at: join(path, "decodeRC")) ?? shell.decodeRC
        }
        return shell
    }

    private mutating func required(_ mapping: Node.Mapping, _ key: String, at path: String) -> String? {
        if mapping[key] == nil { problem(join(path, key), "is required") }
        return string(mapping, key, at: path)
    }

    /// `{NAME: TEXT}`.
    private mutating func texts(_ node: Node?, at path: String) -> [String: String] {
        guard let node else { return [:] }
        var texts: [String: String] = [:]
        guard let entries = node.mapping else {
            problem(path, "must map names to texts")
            return [:]
        }
        for (key, value) in entries {
            guard let key = key.string, let value = value.string else {
                problem(path, "must map names to texts")
                continue
            }
            texts[key] = value
        }
        return texts
    }

    private mutating func count(_ mapping: Node.Mapping, _ key: String, at path: String) -> Int? {
        guard let node = mapping[key] else { return nil }
        guard let value = node.int, value >= 0 else {
            problem(join(path, key), "must be a number of bytes")
            return nil
        }
        return value
    }

    /// Permission bits as an octal text (`"0644"`) or a number.
    private mutating func fileMode(_ mapping: Node.Mapping, at path: String) -> Int? {
        guard let node = mapping["mode"] else { return nil }
        if let text = node.string, text.hasPrefix("0"), let mode = Int(text.dropFirst(), radix: 8), mode <= 0o7777 {
            return mode
        }
        guard let mode = node.int, (0...0o7777).contains(mode) else {
            problem(join(path, "mode"), "must be permission bits like \"0644\"")
            return nil
        }
        return mode
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

extension ConfigReader {
    /// `secrets: {directory: DIR, environmentPrefix: PREFIX}`.
    mutating func secrets(_ node: Node?, basedir: String) -> SecretsConfig {
        guard let node else { return SecretsConfig() }
        guard let mapping = node.mapping else {
            problem("secrets", "must be a mapping like {directory: secrets}")
            return SecretsConfig()
        }
        refuseUnknownKeys(mapping, allowed: ["directory", "environmentPrefix"], at: "secrets")
        let directory = string(mapping, "directory", at: "secrets").map { $0.hasPrefix("/") ? $0 : basedir + "/" + $0 }
        if let directory { checkSecretsDirectory(directory) }
        return SecretsConfig(
            directory: directory, environmentPrefix: string(mapping, "environmentPrefix", at: "secrets"))
    }

    /// Secrets are read only when a step needs one, so a directory that is not there would otherwise surface as
    /// failed builds long after the master started.
    private mutating func checkSecretsDirectory(_ path: String) {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            problem("secrets.directory", "'\(path)' does not exist")
        } else if !isDirectory.boolValue {
            problem("secrets.directory", "'\(path)' is not a directory")
        }
    }
}
