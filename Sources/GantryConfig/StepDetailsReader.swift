import GantryModel
import Yams

/// Reads what a step shows and when it runs, the settings every kind of step takes: `description`,
/// `descriptionDone`, `descriptionSuffix` (texts), `urls` (`[{name, url}]`), `hideStepIf` and `doStepIf`.
extension ConfigReader {
    static let stepDetailKeys: Set<String> = [
        "description", "descriptionDone", "descriptionSuffix", "urls", "hideStepIf", "doStepIf",
    ]

    mutating func readStepDetails(_ mapping: Node.Mapping, into step: inout Step, at path: String) {
        step.description = string(mapping, "description", at: path)
        step.descriptionDone = string(mapping, "descriptionDone", at: path)
        step.descriptionSuffix = string(mapping, "descriptionSuffix", at: path)
        step.urls = stepURLs(mapping["urls"], at: join(path, "urls"))
        step.hideStepIf = hiddenResults(mapping["hideStepIf"], at: join(path, "hideStepIf"))
        if let condition = mapping["doStepIf"] {
            step.doStepIf = stepCondition(condition, at: join(path, "doStepIf"))
        }
    }

    /// A link's address: an http or https address, or a text with interpolation that starts as one or with the
    /// interpolation (known only when the step runs, and checked then).
    mutating func webAddress(_ mapping: Node.Mapping, _ key: String, at path: String) -> String? {
        guard let text = string(mapping, key, at: path) else { return nil }
        guard StepURL.mayBeWebAddress(text) else {
            problem(join(path, key), "must be an http or https address like \"https://example.org/report\"")
            return nil
        }
        return text
    }

    /// `[{name: TEXT, url: ADDRESS}]`.
    private mutating func stepURLs(_ node: Node?, at path: String) -> [StepURL] {
        guard let node else { return [] }
        guard let items = node.sequence else {
            problem(path, "must be a list of links like {name: report, url: \"https://example.org/report\"}")
            return []
        }
        return items.enumerated().compactMap { index, item -> StepURL? in
            let at = "\(path)[\(index)]"
            guard let link = item.mapping else {
                problem(at, "must be a mapping like {name: report, url: \"https://example.org/report\"}")
                return nil
            }
            refuseUnknownKeys(link, allowed: ["name", "url"], at: at)
            for key in ["name", "url"] where link[key] == nil { problem(join(at, key), "is required") }
            guard let name = string(link, "name", at: at), let url = webAddress(link, "url", at: at) else {
                return nil
            }
            return StepURL(name: name, url: url)
        }
    }

    /// `true` (always hidden), `false`, a result (`success`) or a list of results.
    private mutating func hiddenResults(_ node: Node?, at path: String) -> Set<BuildResult> {
        guard let node else { return [] }
        if let hidden = node.bool { return hidden ? Set(BuildResult.allCases) : [] }
        let names = node.sequence.map { $0.map(\.string) } ?? [node.string]
        let results = names.compactMap { $0.flatMap(BuildResult.init(name:)) }
        guard !names.isEmpty, results.count == names.count else {
            problem(
                path,
                "must be true, false, a result (success, warnings, failure, skipped, exception, retry, cancelled) "
                    + "or a list of results")
            return []
        }
        return Set(results)
    }

    /// `{property: NAME, equals: VALUE}`, or with `notEquals: VALUE`, `in: [VALUE, ...]` or `exists: true|false`.
    private mutating func stepCondition(_ node: Node, at path: String) -> StepCondition? {
        let tests = ["equals", "notEquals", "in", "exists"]
        guard let mapping = node.mapping else {
            problem(path, "must be a mapping like {property: branch, equals: main}")
            return nil
        }
        refuseUnknownKeys(mapping, allowed: Set(tests + ["property"]), at: path)
        if mapping["property"] == nil { problem(join(path, "property"), "is required") }
        let property = string(mapping, "property", at: path)
        let given = tests.filter { mapping[$0] != nil }
        guard given.count == 1, let kind = given.first, let value = mapping[kind] else {
            problem(path, "must have exactly one of equals, notEquals, in, exists")
            return nil
        }
        let test: StepCondition.Test
        switch kind {
        case "equals", "notEquals":
            guard let text = value.scalar?.string else {
                problem(join(path, kind), "must be a value")
                return nil
            }
            test = kind == "equals" ? .equals(text) : .notEquals(text)
        case "in":
            let texts = value.sequence?.compactMap { $0.scalar?.string } ?? []
            guard !texts.isEmpty, texts.count == value.sequence?.count else {
                problem(join(path, kind), "must be a non-empty list of values")
                return nil
            }
            test = .oneOf(texts)
        default:
            guard let exists = value.bool else {
                problem(join(path, kind), "must be true or false")
                return nil
            }
            test = .exists(exists)
        }
        guard let property else { return nil }
        return StepCondition(property: property, test)
    }
}
