import GantryWorkers

/// Runs a ``CommandWatchdog`` beside one remote command: hears its updates, interrupts it and gives up on it
/// when the watchdog says so.
actor CommandGuard {
    private var watchdog: CommandWatchdog
    private var commandID: String?
    private let clock = ContinuousClock()

    /// A guard for a shell command whose worker-side `timeout` is `timeout` seconds: silent for a minute longer
    /// than that, it is lost.
    init(timeout: Int) {
        watchdog = CommandWatchdog(
            silence: .seconds(Int64(clamping: timeout)) + .seconds(60), startedAt: ContinuousClock.now)
    }

    /// The worker started the command under `id`.
    func started(_ id: String) {
        commandID = id
        watchdog.heard(at: clock.now)
    }

    /// The worker reported on the command.
    func heard() {
        watchdog.heard(at: clock.now)
    }

    /// Watches until cancelled (the command ended) or until it gave up on the command.
    func run(link: WorkerLink, log: StdioLog) async {
        while !Task.isCancelled {
            switch watchdog.check(at: clock.now) {
            case .wait(let deadline):
                guard (try? await clock.sleep(until: deadline)) != nil else { return }
            case .interrupt:
                await log.append(
                    "the worker reported nothing on the command for \(watchdog.silence); interrupting it\n",
                    prefix: "h")
                if let commandID {
                    try? await link.interrupt(commandID: commandID, why: "the master heard nothing from it")
                }
            case .abandon:
                if let commandID {
                    await link.abandon(commandID: commandID, reason: "the worker never reported the command's end")
                }
                return
            }
        }
    }
}
