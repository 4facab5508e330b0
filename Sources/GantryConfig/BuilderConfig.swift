public import GantryModel

/// A builder of this master: the workers that may run its builds and the steps of each build.
public struct BuilderConfig: Sendable, Hashable {
    public var name: String
    public var workers: [String]
    public var steps: [ShellStep]
    public var description: String?

    public init(name: String, workers: [String] = [], steps: [ShellStep] = [], description: String? = nil) {
        self.name = name
        self.workers = workers
        self.steps = steps
        self.description = description
    }
}
