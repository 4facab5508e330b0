import Testing

/// The suites that start real masters and workers. They run one at a time: on two cores, several clusters at
/// once starve each other's heartbeats and keepalives, and a test would measure the machine, not Gantry.
@Suite(.serialized)
enum ProcessTests {}
