import Foundation
import GantryModel
import Yams

/// Reads the `schedulers` list: the keys every scheduler takes, then those of its type.
extension ConfigReader {
    private static let commonKeys: Set<String> = [
        "name", "type", "builderNames", "properties", "codebases", "priority", "reason",
    ]
    private static let typeKeys: [String: Set<String>] = [
        "periodic": ["interval"],
        "singleBranch": [
            "treeStableTimer", "branch", "changeFilter", "fileIsImportant", "onlyImportant",
            "createAbsoluteSourceStamps",
        ],
        "anyBranch": ["treeStableTimer", "branches", "changeFilter", "fileIsImportant", "onlyImportant"],
        "force": ["parameters"],
        "dependent": ["upstream"],
        "nightly": [
            "minute", "hour", "dayOfMonth", "month", "dayOfWeek", "timeZone", "onlyIfChanged", "forceAt", "branch",
            "changeFilter", "fileIsImportant", "onlyImportant", "createAbsoluteSourceStamps",
        ],
        "triggerable": [],
        "nightlyTriggerable": ["minute", "hour", "dayOfMonth", "month", "dayOfWeek", "timeZone"],
    ]

    mutating func schedulers(_ node: Node?) -> [SchedulerConfig] {
        var result: [SchedulerConfig] = []
        var seen: Set<String> = []
        var paths: [String: String] = [:]
        for (path, item) in listItems(node, key: "schedulers") {
            let type = item.mapping?["type"]?.scalar?.string
            let allowed = Self.commonKeys.union(type.flatMap { Self.typeKeys[$0] } ?? [])
            guard let entry = namedEntry(item, at: path, allowed: allowed, seen: &seen) else { continue }
            let (mapping, name) = (entry.mapping, entry.name)
            if let name, paths[name] == nil { paths[name] = path }
            let options = schedulerOptions(mapping, name: name, at: path)
            let kind = schedulerKind(type, mapping, at: path)
            if let options, let kind { result.append(SchedulerConfig(options: options, kind: kind)) }
        }
        for (index, scheduler) in result.enumerated() {
            guard case .dependent(let upstream) = scheduler.kind else { continue }
            if upstream == scheduler.name || !seen.contains(upstream) {
                let path = paths[scheduler.name] ?? "schedulers[\(index)]"
                problem(join(path, "upstream"), "must name another scheduler of this configuration")
            }
        }
        return result
    }

    private mutating func schedulerKind(_ type: String?, _ mapping: Node.Mapping, at path: String)
        -> SchedulerConfig.Kind?
    {
        switch type {
        case "periodic"?:
            let interval = duration(mapping, "interval", at: path)
            if mapping["interval"] == nil { problem(join(path, "interval"), "is required for a periodic scheduler") }
            return interval.map { .periodic(interval: $0) }
        case "singleBranch"?:
            if mapping["branch"] == nil && mapping["changeFilter"] == nil {
                problem(path, "a singleBranch scheduler needs 'branch' or 'changeFilter'")
            }
            return branchSettings(mapping, shorthand: "branch", at: path).map { .singleBranch($0) }
        case "anyBranch"?:
            return branchSettings(mapping, shorthand: "branches", at: path).map { .anyBranch($0) }
        case "force"?:
            guard let name = mapping["name"]?.string,
                name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
            else {
                problem(join(path, "name"), "a force scheduler's name must be an identifier (letters, digits, _ and -)")
                return nil
            }
            return forceParameters(mapping["parameters"], at: join(path, "parameters")).map { .force(parameters: $0) }
        case "dependent"?:
            guard let upstream = string(mapping, "upstream", at: path) else {
                if mapping["upstream"] == nil {
                    problem(join(path, "upstream"), "is required for a dependent scheduler")
                }
                return nil
            }
            return .dependent(upstream: upstream)
        case "nightly"?:
            return nightlySettings(mapping, at: path).map { .nightly($0) }
        case "triggerable"?:
            return .triggerable
        case "nightlyTriggerable"?:
            let before = problems.count
            let schedule = cronSchedule(mapping, timeZone: timeZone(mapping, at: path), at: path)
            return problems.count == before ? .nightlyTriggerable(schedule: schedule) : nil
        case let other?:
            let known = Self.typeKeys.keys.sorted().joined(separator: ", ")
            problem(join(path, "type"), "unknown scheduler type '\(other)' (known: \(known))")
            return nil
        case nil:
            problem(join(path, "type"), "is required")
            return nil
        }
    }

    private mutating func schedulerOptions(_ mapping: Node.Mapping, name: String?, at path: String)
        -> SchedulerOptions?
    {
        let builders = builderNames(mapping["builderNames"], at: join(path, "builderNames"))
        var options = SchedulerOptions(name: name ?? "", builderNames: builders ?? [])
        if let node = mapping["properties"] {
            if let properties = node.mapping {
                for (key, value) in properties {
                    guard let key = key.string, !key.isEmpty else { continue }
                    options.properties[key] = Self.json(value)
                }
            } else {
                problem(join(path, "properties"), "must be a mapping of property names to values")
            }
        }
        if let node = mapping["codebases"] { options.codebases = codebases(node, at: join(path, "codebases")) }
        if let node = mapping["priority"] { options.priority = priority(node, at: join(path, "priority")) }
        options.reason = string(mapping, "reason", at: path)
        guard name != nil, builders != nil else { return nil }
        return options
    }

    mutating func builderNames(_ node: Node?, at path: String) -> [String]? {
        guard let node else {
            problem(path, "is required")
            return nil
        }
        guard let items = node.sequence, !items.isEmpty else {
            problem(path, "must be a non-empty list of builder names")
            return nil
        }
        let names = items.compactMap { $0.scalar?.string }.filter { !$0.isEmpty }
        guard names.count == items.count else {
            problem(path, "must be a list of builder names")
            return nil
        }
        return names
    }

    /// A list of names, or a mapping of names to `{repository, branch, revision}`.
    private mutating func codebases(_ node: Node, at path: String) -> [String: CodebaseDefaults] {
        if let items = node.sequence {
            let names = items.compactMap { $0.scalar?.string }
            guard names.count == items.count, !names.isEmpty else {
                problem(path, "must be a non-empty list of codebase names, or a mapping")
                return ["": CodebaseDefaults()]
            }
            return Dictionary(names.map { ($0, CodebaseDefaults()) }, uniquingKeysWith: { first, _ in first })
        }
        guard let mapping = node.mapping, !mapping.isEmpty else {
            problem(path, "must be a non-empty list of codebase names, or a mapping")
            return ["": CodebaseDefaults()]
        }
        var result: [String: CodebaseDefaults] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            let at = join(path, name)
            guard let settings = value.mapping else {
                if value.null == nil { problem(at, "must be a mapping of repository, branch and revision") }
                result[name] = CodebaseDefaults()
                continue
            }
            refuseUnknownKeys(settings, allowed: ["repository", "branch", "revision"], at: at)
            result[name] = CodebaseDefaults(
                repository: settings["repository"]?.string ?? "",
                branch: settings["branch"]?.string,
                revision: settings["revision"]?.string
            )
        }
        return result
    }

    /// A number, or `{default: N, branches: {regex: N}}` (regular expressions matching whole branch names).
    private mutating func priority(_ node: Node, at path: String) -> PriorityRule {
        if let value = node.int { return .fixed(value) }
        guard let mapping = node.mapping else {
            problem(path, "must be a number or a mapping with 'default' and 'branches'")
            return .fixed(0)
        }
        refuseUnknownKeys(mapping, allowed: ["default", "branches"], at: path)
        var rules: [PriorityRule.BranchPriority] = []
        for (key, value) in mapping["branches"]?.mapping ?? [:] {
            guard let source = key.string, let number = value.int else {
                problem(join(path, "branches"), "must map branch regular expressions to numbers")
                continue
            }
            if let pattern = pattern(source, at: join(path, "branches")) {
                rules.append(PriorityRule.BranchPriority(branch: pattern, priority: number))
            }
        }
        let otherwise = mapping["default"]?.int ?? 0
        if mapping["default"] != nil && mapping["default"]?.int == nil {
            problem(join(path, "default"), "must be a number")
        }
        return .byBranch(rules, otherwise: otherwise)
    }

    private mutating func nightlySettings(_ mapping: Node.Mapping, at path: String) -> NightlySettings? {
        let before = problems.count
        let timeZone = timeZone(mapping, at: path)
        var settings = NightlySettings(schedule: cronSchedule(mapping, timeZone: timeZone, at: path))
        if let node = mapping["forceAt"] {
            if let times = node.mapping {
                refuseUnknownKeys(
                    times, allowed: Set(CronField.Unit.allCases.map(\.rawValue)), at: join(path, "forceAt"))
                settings.forceAt = cronSchedule(times, timeZone: timeZone, at: join(path, "forceAt"))
            } else {
                problem(join(path, "forceAt"), "must be a mapping of minute, hour, dayOfMonth, month and dayOfWeek")
            }
        }
        settings.onlyIfChanged = flag(mapping, "onlyIfChanged", at: path) ?? false
        settings.createAbsoluteSourceStamps = flag(mapping, "createAbsoluteSourceStamps", at: path) ?? false
        settings.consumption = changeConsumption(mapping, shorthand: "branch", at: path)
        return problems.count == before ? settings : nil
    }

    /// The `timeZone` of a cron scheduler; the master's own by default.
    private mutating func timeZone(_ mapping: Node.Mapping, at path: String) -> TimeZone {
        guard let name = string(mapping, "timeZone", at: path) else { return .current }
        guard let zone = TimeZone(identifier: name) else {
            problem(join(path, "timeZone"), "unknown time zone '\(name)' (use a name like Europe/Berlin or UTC)")
            return .current
        }
        return zone
    }

    /// The cron fields of `mapping`, each a number, a cron text or a list; Buildbot's defaults for those absent.
    private mutating func cronSchedule(_ mapping: Node.Mapping, timeZone: TimeZone, at path: String) -> CronSchedule {
        var schedule = CronSchedule(timeZone: timeZone)
        for unit in CronField.Unit.allCases {
            guard let node = mapping[unit.rawValue] else { continue }
            let text: String
            if let items = node.sequence {
                text = items.compactMap { $0.scalar?.string }.joined(separator: ",")
            } else {
                text = node.scalar?.string ?? ""
            }
            let field: CronField
            do {
                field = try CronField(parsing: text, unit: unit)
            } catch {
                problem(join(path, unit.rawValue), error.message)
                continue
            }
            switch unit {
            case .minute: schedule.minute = field
            case .hour: schedule.hour = field
            case .dayOfMonth: schedule.dayOfMonth = field
            case .month: schedule.month = field
            case .dayOfWeek: schedule.dayOfWeek = field
            }
        }
        return schedule
    }

    private mutating func branchSettings(_ mapping: Node.Mapping, shorthand: String, at path: String)
        -> BranchSettings?
    {
        let before = problems.count
        var settings = BranchSettings()
        settings.treeStableTimer = duration(mapping, "treeStableTimer", at: path)
        settings.consumption = changeConsumption(mapping, shorthand: shorthand, at: path)
        settings.createAbsoluteSourceStamps = flag(mapping, "createAbsoluteSourceStamps", at: path) ?? false
        return problems.count == before ? settings : nil
    }

    private static let parameterKinds = ["string", "text", "int", "boolean", "choice", "username"]
    private static let builtInParameters: Set<String> = [
        "reason", "priority", "owner", "branch", "revision", "repository", "project",
    ]

    /// The typed fields of a force scheduler's form.
    private mutating func forceParameters(_ node: Node?, at path: String) -> [ForceParameter]? {
        guard let node else { return [] }
        guard let items = node.sequence else {
            problem(path, "must be a list of parameters")
            return nil
        }
        let before = problems.count
        var result: [ForceParameter] = []
        for (index, item) in items.enumerated() {
            let at = "\(path)[\(index)]"
            guard let mapping = item.mapping else {
                problem(at, "must be a mapping")
                continue
            }
            refuseUnknownKeys(
                mapping, allowed: ["name", "type", "label", "default", "required", "regex", "maxsize", "choices"],
                at: at)
            guard let name = string(mapping, "name", at: at) else {
                if mapping["name"] == nil { problem(join(at, "name"), "is required") }
                continue
            }
            if Self.builtInParameters.contains(name) || result.contains(where: { $0.name == name }) {
                problem(join(at, "name"), "'\(name)' is already a parameter")
            }
            let kind: ForceParameter.Kind
            switch mapping["type"]?.string {
            case "string"?, nil: kind = .string
            case "text"?: kind = .text
            case "int"?: kind = .int
            case "boolean"?: kind = .boolean
            case "username"?: kind = .username
            case "choice"?:
                let choices = mapping["choices"]?.sequence?.compactMap(\.string) ?? []
                if choices.isEmpty { problem(join(at, "choices"), "a choice parameter needs a non-empty list") }
                kind = .choice(choices)
            case let other?:
                problem(
                    join(at, "type"),
                    "unknown parameter type '\(other)' (known: \(Self.parameterKinds.joined(separator: ", ")))")
                continue
            }
            var parameter = ForceParameter(name: name, kind: kind, label: mapping["label"]?.string)
            parameter.defaultValue = mapping["default"].map(Self.json)
            parameter.required = mapping["required"]?.bool ?? false
            parameter.regex = mapping["regex"]?.string.flatMap { pattern($0, at: join(at, "regex")) }
            parameter.maxsize = mapping["maxsize"]?.int
            if let value = parameter.defaultValue, case .failure(let error) = parameter.validate(value),
                !(parameter.required && error.message == "is required")
            {
                problem(join(at, "default"), error.message)
            }
            result.append(parameter)
        }
        return problems.count == before ? result : nil
    }

    /// `changeFilter` (or its shorthand, `branch` or `branches`), `fileIsImportant` and `onlyImportant`.
    private mutating func changeConsumption(_ mapping: Node.Mapping, shorthand: String, at path: String)
        -> ChangeConsumption
    {
        var consumption = ChangeConsumption()
        var filter = mapping["changeFilter"].flatMap { changeFilter($0, at: join(path, "changeFilter")) }
        if let node = mapping[shorthand] {
            if filter != nil {
                problem(join(path, shorthand), "cannot be combined with changeFilter; put it in the filter")
            } else {
                filter = ChangeFilter(rules: [.branch: [.equal(values(node, at: join(path, shorthand)))]])
            }
        }
        consumption.filter = filter
        if let node = mapping["fileIsImportant"] {
            consumption.importance = fileImportance(node, at: join(path, "fileIsImportant"))
        }
        consumption.onlyImportant = flag(mapping, "onlyImportant", at: path) ?? false
        return consumption
    }

    private mutating func fileImportance(_ node: Node, at path: String) -> FileImportance? {
        guard let mapping = node.mapping else {
            problem(path, "must be a mapping with 'include' and/or 'exclude' lists of path patterns")
            return nil
        }
        refuseUnknownKeys(mapping, allowed: ["include", "exclude"], at: path)
        let include = (mapping["include"]).map { patterns($0, at: join(path, "include")) } ?? []
        let exclude = (mapping["exclude"]).map { patterns($0, at: join(path, "exclude")) } ?? []
        return FileImportance(include: include, exclude: exclude)
    }

    /// Buildbot's ChangeFilter arguments: `X`, `X_not_eq`, `X_re`, `X_not_re` for project, repository, branch,
    /// category and codebase; `property_eq`, `property_not_eq`, `property_re`, `property_not_re` mapping
    /// property names to values.
    private mutating func changeFilter(_ node: Node, at path: String) -> ChangeFilter? {
        guard let mapping = node.mapping else {
            problem(path, "must be a mapping")
            return nil
        }
        let suffixes = ["", "_not_eq", "_re", "_not_re"]
        let fieldKeys = ChangeFilter.Field.allCases.flatMap { field in suffixes.map { field.rawValue + $0 } }
        let propertyKeys = [
            "property_eq": "", "property_not_eq": "_not_eq", "property_re": "_re", "property_not_re": "_not_re",
        ]
        refuseUnknownKeys(mapping, allowed: Set(fieldKeys + propertyKeys.keys), at: path)
        var filter = ChangeFilter()
        for field in ChangeFilter.Field.allCases {
            for suffix in suffixes {
                let key = field.rawValue + suffix
                guard let value = mapping[key] else { continue }
                if let rule = rule(suffix, value, at: join(path, key)) { filter.rules[field, default: []].append(rule) }
            }
        }
        for (key, suffix) in propertyKeys.sorted(by: { $0.key < $1.key }) {
            guard let value = mapping[key] else { continue }
            guard let properties = value.mapping else {
                problem(join(path, key), "must map property names to values")
                continue
            }
            for (name, values) in properties {
                guard let name = name.string else { continue }
                if let rule = rule(suffix, values, at: join(join(path, key), name)) {
                    filter.propertyRules[name, default: []].append(rule)
                }
            }
        }
        return filter
    }

    private mutating func rule(_ suffix: String, _ node: Node, at path: String) -> ChangeFilter.Rule? {
        switch suffix {
        case "": return .equal(values(node, at: path))
        case "_not_eq": return .notEqual(values(node, at: path))
        default:
            guard let source = node.string, let pattern = pattern(source, at: path) else {
                if node.string == nil { problem(path, "must be a regular expression") }
                return nil
            }
            return suffix == "_re" ? .matches(pattern) : .notMatches(pattern)
        }
    }

    /// A value or a list of values; `null` stands for the default branch.
    private mutating func values(_ node: Node, at path: String) -> [String?] {
        if node.null != nil { return [nil] }
        if let value = node.scalar?.string { return [value] }
        if let items = node.sequence {
            let values: [String?] = items.map { $0.null != nil ? nil : $0.scalar?.string }
            if items.allSatisfy({ $0.null != nil || $0.scalar != nil }) { return values }
        }
        problem(path, "must be a value or a list of values")
        return []
    }

    /// File patterns: globs, as users write paths, or regular expressions after `re:`.
    private mutating func patterns(_ node: Node, at path: String) -> [Pattern] {
        guard let items = node.sequence else {
            problem(path, "must be a list of globs (or regular expressions after 're:')")
            return []
        }
        return items.enumerated().compactMap { index, item in
            guard let source = item.string else {
                problem("\(path)[\(index)]", "must be a glob (or a regular expression after 're:')")
                return nil
            }
            return pattern(source, at: "\(path)[\(index)]", glob: true)
        }
    }

    private mutating func pattern(_ source: String, at path: String, glob: Bool = false) -> Pattern? {
        do {
            return try glob ? Pattern(glob: source) : Pattern(source)
        } catch {
            problem(path, error.message)
            return nil
        }
    }

    /// A YAML value as JSON; scalars that read as numbers or booleans become them.
    static func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar:
            if node.null != nil { return .null }
            if let value = node.bool { return .bool(value) }
            if let value = node.float { return .number(value) }
            return .string(node.string ?? "")
        case .sequence(let items):
            return .array(items.map(json))
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = json(value) }
            return .object(object)
        case .alias:
            return .null
        }
    }
}
