import GantryWire
import Synchronization

/// A command started by the master: its task, and what an interrupt does to it.
final class RunningCommand: Sendable {
    private let onInterrupt = Mutex<(@Sendable (String) -> Void)?>(nil)
    private let interrupted = Mutex<String?>(nil)

    /// Starts `command` in its own task, with the output `settings` of its start; it reports through `session`
    /// and ends with `finished`.
    static func start(
        _ command: Command, id: String, args: MessagePackValue, settings: OutputSettings, session: MasterSession
    ) -> RunningCommand {
        let running = RunningCommand()
        Task {
            let updates = UpdateBuffer(commandID: id, session: session, settings: settings)
            let context = CommandContext(id: id, args: args, session: session, updates: updates, running: running)
            let failure = await command.run(context)
            await updates.finish()
            await session.finished(id, failure: failure)
        }
        return running
    }

    /// Interrupts the command (once): its handler runs now, or when it registers one.
    func interrupt(_ why: String) {
        let handler = interrupted.withLock { reason -> (@Sendable (String) -> Void)? in
            guard reason == nil else { return nil }
            reason = why
            return onInterrupt.withLock { $0 }
        }
        handler?(why)
    }

    /// What an interrupt does while the command runs; called at once when it was already interrupted.
    func whenInterrupted(_ handler: @escaping @Sendable (String) -> Void) {
        onInterrupt.withLock { $0 = handler }
        if let why = interrupted.withLock({ $0 }) { handler(why) }
    }

    /// Why it was interrupted, if it was.
    var interruption: String? { interrupted.withLock { $0 } }
}

/// What a running command works with.
struct CommandContext: Sendable {
    let id: String
    let args: MessagePackValue
    let session: MasterSession
    let updates: UpdateBuffer
    let running: RunningCommand

    /// Ends the command with `rc`, and the text on stderr first when there is one.
    func exit(_ rc: Int, stderr: String? = nil) async {
        if let stderr { await updates.write(stderr, to: "stderr") }
        await updates.closeLines()
        await updates.add("rc", .int(Int64(rc)))
    }
}
