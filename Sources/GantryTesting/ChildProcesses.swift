import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Every child process the tests started and that still runs: whatever path a test ends by (a failure, a thrown
/// error, its time limit), none outlives the test process, which kills those left when it exits.
enum ChildProcesses {
    /// The children running, and those that ended before they were recorded as started.
    private static let children = Mutex<(running: Set<pid_t>, endedEarly: Set<pid_t>)>(([], []))
    private static let killedAtExit: Void = { atexit { ChildProcesses.killAll() } }()

    /// Records a started child, until `ended(_:)`.
    static func started(_ pid: pid_t) {
        _ = killedAtExit
        children.withLock {
            if $0.endedEarly.remove(pid) == nil { $0.running.insert(pid) }
        }
    }

    /// Forgets a child that has exited and been reaped (its pid may be reused).
    static func ended(_ pid: pid_t) {
        children.withLock {
            if $0.running.remove(pid) == nil { $0.endedEarly.insert(pid) }
        }
    }

    private static func killAll() {
        for pid in children.withLock({ $0.running }) { kill(pid, SIGKILL) }
    }
}
