/// An `ssh` pool's hosts: machines kept up by their owners, on which the master runs workers over ssh.
public struct SSHSettings: Sendable, Hashable {
    /// One host, and how many of the pool's workers it runs at once.
    public struct Host: Sendable, Hashable {
        public var address: String
        public var port: Int
        public var capacity: Int

        public init(address: String, port: Int = 22, capacity: Int = 1) {
            self.address = address
            self.port = port
            self.capacity = capacity
        }
    }

    public var hosts: [Host]
    /// The user ssh logs in as.
    public var user: String
    /// The secret holding the private key.
    public var privateKeySecret: String
    /// The secret holding the hosts' public keys, as a known_hosts file; nil accepts a host's key the first time
    /// and refuses a changed one.
    public var knownHostsSecret: String?
    /// The `gantry` executable on the hosts.
    public var gantry: String
    /// The directory on each host under which each worker gets `DIRECTORY/NAME`.
    public var basedir: String
    /// Run on the host between two workers in a worker's directory (with `maxUses`, between builds), to clean
    /// up what a build left.
    public var cleanup: String?
    /// How long a connection may take before the host counts as down.
    public var connectTimeout: Duration

    public init(
        hosts: [Host], user: String, privateKeySecret: String, knownHostsSecret: String? = nil,
        gantry: String = "gantry", basedir: String = "gantry-workers", cleanup: String? = nil,
        connectTimeout: Duration = .seconds(10)
    ) {
        self.hosts = hosts
        self.user = user
        self.privateKeySecret = privateKeySecret
        self.knownHostsSecret = knownHostsSecret
        self.gantry = gantry
        self.basedir = basedir
        self.cleanup = cleanup
        self.connectTimeout = connectTimeout
    }
}
