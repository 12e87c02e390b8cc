import NIOCore

/// Pairs each command written to a connection with its reply: Redis answers in order, so a FIFO of promises is all
/// pipelining needs. A connection in subscribe mode hands push messages to `onPush` instead.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = (command: ByteBuffer, reply: EventLoopPromise<RESPValue>)
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>(initialCapacity: 16)
    private var failure: (any Error)?
    /// Messages that answer no command (pub/sub deliveries); nil on an ordinary connection.
    private let onPush: (@Sendable (RESPValue) -> Void)?

    init(onPush: (@Sendable (RESPValue) -> Void)? = nil) { self.onPush = onPush }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let (command, reply) = unwrapOutboundIn(data)
        if let failure {
            reply.fail(failure)
            promise?.fail(failure)
            return
        }
        waiting.append(reply)
        context.write(wrapOutboundOut(command), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        if let onPush, Self.isPush(value) {
            onPush(value)
            return
        }
        guard let reply = waiting.popFirst() else {
            // A reply nobody asked for: the stream is out of step and cannot be trusted.
            fail(context: context, RedisError.protocolViolation("a reply that answers no command"))
            return
        }
        reply.succeed(value)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error is RedisError ? error : RedisError.unavailable("\(error)"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.unavailable("the connection closed"))
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        if failure == nil { failure = error }
        while let reply = waiting.popFirst() { reply.fail(error) }
    }

    /// `message` and `pmessage` deliveries in subscribe mode; subscribe confirmations answer their command.
    private static func isPush(_ value: RESPValue) -> Bool {
        guard let items = value.array, let kind = items.first?.string else { return false }
        return kind == "message" || kind == "pmessage"
    }
}
