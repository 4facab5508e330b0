public import GantryModel

/// A worker this master accepts: its name and the password it authenticates with.
public struct WorkerConfig: Sendable, Hashable {
    public var name: String
    public var password: String
    /// Builds it runs at once, across its builders.
    public var maxBuilds = 1

    public init(name: String, password: String, maxBuilds: Int = 1) {
        self.name = name
        self.password = password
        self.maxBuilds = maxBuilds
    }
}

/// The password prints as `****`: the configuration is printed whole by logs and dumps.
extension WorkerConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var customMirror: Mirror {
        Mirror(
            self, children: ["name": name, "password": Redaction.mask, "maxBuilds": maxBuilds], displayStyle: .struct)
    }

    public var description: String { Redaction.describe(customMirror) }

    public var debugDescription: String { description }
}

/// Where workers connect and how the master watches them.
public struct WorkerPortConfig: Sendable, Hashable {
    /// `127.0.0.1:9989` (Buildbot's worker port, on this machine only) unless set.
    public var address = ListenAddress(host: "127.0.0.1", port: 9989)
    /// How often a connected worker is asked to answer a keepalive; one that does not is disconnected.
    public var keepalive: Duration = .seconds(60)
    /// How long a connection may take to finish its upgrade (authenticate) before it is closed.
    public var upgradeTimeout: Duration = .seconds(10)
    /// How long a connection that has not upgraded may send nothing before it is closed.
    public var idleTimeout: Duration = .seconds(5)
    /// How many connections may be open without having upgraded; beyond it, new ones are closed at once.
    public var maxUnauthenticatedConnections = 256
    /// The certificate workers are served with, and the CA their own must come from; plain TCP when `nil`.
    public var tls: TLSFiles? = nil

    public init() {}
}
