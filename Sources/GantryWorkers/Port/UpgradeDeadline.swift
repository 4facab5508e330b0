import GantryModel
import Logging
import NIOCore

/// Closes a connection that has not upgraded in time: one that sent nothing for the idle timeout, or did not
/// finish its upgrade within the upgrade timeout, so that half-sent requests cannot hold descriptors.
///
/// It sits first in the pipeline from the moment the connection is accepted, holding one of the port's
/// ``UnauthenticatedSlots``; it is removed when the upgrade succeeds, and its removal (or the connection's
/// end, which removes every handler) gives the place back.
final class UpgradeDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Its name in the pipeline, to remove it by.
    static let name = "gantry.upgrade-deadline"

    private let limits: WorkerPortLimits
    private let slots: UnauthenticatedSlots
    private let logger: Logger
    private var accepted = NIODeadline.now()
    private var lastRead = NIODeadline.now()
    private var timer: Scheduled<Void>?

    /// - Parameter slots: Where the place this connection holds is given back.
    init(limits: WorkerPortLimits, slots: UnauthenticatedSlots, logger: Logger) {
        self.limits = limits
        self.slots = slots
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        accepted = .now()
        lastRead = accepted
        schedule(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        slots.release()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        context.fireChannelRead(data)
    }

    private var upgradeDeadline: NIODeadline { accepted + TimeAmount(limits.upgradeTimeout) }
    private var idleDeadline: NIODeadline { lastRead + TimeAmount(limits.idleTimeout) }

    /// One timer at a time, for whichever deadline comes first; reads only move the idle one.
    private func schedule(context: ChannelHandlerContext) {
        let deadline = min(upgradeDeadline, idleDeadline)
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            expired(context: context)
        }
    }

    private func expired(context: ChannelHandlerContext) {
        timer = nil
        let now = NIODeadline.now()
        let reason: String
        if now >= upgradeDeadline {
            reason = "no upgrade within \(limits.upgradeTimeout)"
        } else if now >= idleDeadline {
            reason = "nothing sent for \(limits.idleTimeout) before upgrading"
        } else {
            schedule(context: context)
            return
        }
        logger.debug(
            "closing worker connection",
            metadata: [
                LogKey.workerAddress: "\(WorkerPort.describe(context.channel.remoteAddress))",
                LogKey.reason: "\(reason)",
            ])
        context.close(promise: nil)
    }
}
