import NIOCore

/// Decodes the server's bytes into replies (``SMTPReplyDecoder``) and passes them on, counting them and keeping
/// what is no whole reply yet: ``SMTPConnection/startTLS(context:serverHostname:)`` must see both, which NIO's
/// `ByteToMessageHandler` keeps to itself.
final class SMTPReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = SMTPReply

    /// The replies passed on so far.
    private(set) var repliesPassedOn = 0
    private var decoder = SMTPReplyDecoder()
    private var buffer = ByteBuffer()
    /// Set once the bytes were no SMTP: what follows them cannot be read either.
    private var failed = false

    /// Whether bytes came that were not passed on as a whole reply: part of a reply, or bytes that are none.
    var holdsBytes: Bool { failed || buffer.readableBytes > 0 || decoder.isWithinReply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var bytes = Self.unwrapInboundIn(data)
        buffer.writeBuffer(&bytes)
        do {
            while let reply = try decoder.next(from: &buffer) {
                repliesPassedOn += 1
                context.fireChannelRead(Self.wrapInboundOut(reply))
            }
            buffer.discardReadBytes()
        } catch {
            failed = true
            context.fireErrorCaught(error)
        }
    }
}
