/// A `docker` pool's containers: what each worker's container runs, and the Engine API socket that starts it.
public struct DockerSettings: Sendable, Hashable {
    /// The Engine API's unix socket: Docker's, or the one `podman system service` serves.
    public var socket: String
    public var image: String
    /// The container's command; nil for the image's own. The worker finds its name, password and master in
    /// WORKER_NAME, WORKER_PASSWORD and MASTER_URL.
    public var command: [String]?
    /// Variables added to the container's environment.
    public var environment: [String: String]
    /// Bind mounts, as `SOURCE:TARGET` or `SOURCE:TARGET:ro`.
    public var mounts: [String]
    /// The container's network (`host`, `bridge`, a network's name); nil for the engine's default.
    public var network: String?
    /// The most memory the container may use, in bytes; nil for no limit.
    public var memoryBytes: Int?
    /// The CPUs the container may use (1.5 is one and a half); nil for no limit.
    public var cpus: Double?
    /// Labels added to the container's own (`gantry.*` labels are the master's).
    public var labels: [String: String]
    /// How long a stopped container gets between SIGTERM and SIGKILL.
    public var stopGrace: Duration

    public init(
        socket: String = "/var/run/docker.sock", image: String, command: [String]? = nil,
        environment: [String: String] = [:], mounts: [String] = [], network: String? = nil, memoryBytes: Int? = nil,
        cpus: Double? = nil, labels: [String: String] = [:], stopGrace: Duration = .seconds(10)
    ) {
        self.socket = socket
        self.image = image
        self.command = command
        self.environment = environment
        self.mounts = mounts
        self.network = network
        self.memoryBytes = memoryBytes
        self.cpus = cpus
        self.labels = labels
        self.stopGrace = stopGrace
    }
}
