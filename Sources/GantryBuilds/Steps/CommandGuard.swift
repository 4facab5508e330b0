import GantryModel
import GantryWorkers
import Logging

/// Runs a ``CommandWatchdog`` beside one remote command: hears its updates, interrupts it and gives up on it
/// when the watchdog says so.
actor CommandGuard {
    private var watchdog: CommandWatchdog
    private var commandID: String?
    private let clock = ContinuousClock()
    /// Set when the guard gave up on a command that had not started yet.
    private var abandoning: WorkerLink?
    private let logger: Logger

    /// A guard for a shell command whose worker-side `timeout` is `timeout` seconds: silent for a minute longer
    /// than that, it is lost.
    init(timeout: Int, logger: Logger) {
        watchdog = CommandWatchdog(
            silence: .seconds(Int64(clamping: timeout)) + .seconds(60), startedAt: ContinuousClock.now)
        self.logger = logger
    }

    /// The worker started the command under `id`; if the guard already gave up on it, it is abandoned now.
    func started(_ id: String) async {
        commandID = id
        watchdog.heard(at: clock.now)
        if let link = abandoning { await abandon(id, on: link) }
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
                // Only cancellation ends the sleep early: the command ended, so there is nothing left to watch.
                guard (try? await clock.sleep(until: deadline)) != nil else { return }
            case .interrupt:
                await log.append(
                    "the worker reported nothing on the command for \(watchdog.silence); interrupting it\n",
                    prefix: "h")
                if let commandID {
                    do {
                        try await link.interrupt(commandID: commandID, why: "the master heard nothing from it")
                    } catch {
                        // The guard goes on: a command still silent is abandoned in time.
                        logger.warning(
                            "a silent command could not be interrupted", metadata: [LogKey.error: "\(error)"])
                    }
                }
            case .abandon:
                // Not started yet (its start was never answered): abandoned as soon as it is.
                if let commandID { await abandon(commandID, on: link) } else { abandoning = link }
                return
            }
        }
    }

    private func abandon(_ id: String, on link: WorkerLink) async {
        await link.abandon(commandID: id, reason: "the worker never reported the command's end")
    }
}
