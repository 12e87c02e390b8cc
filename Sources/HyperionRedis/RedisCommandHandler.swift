import NIOCore

/// Pairs each command written to a connection with its reply: Redis answers in order, so a FIFO of promises is all
/// pipelining needs. A connection in subscribe mode hands push messages to `onPush` instead.
///
/// Timeouts: one sweep per connection (every quarter of the timeout) fails the connection when its oldest command
/// has waited longer than `timeout`, rather than a timer per command: scheduling and cancelling a timer from the
/// caller's thread costs two wake-ups of the event loop on every command, which was most of a command's latency.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = (command: ByteBuffer, reply: EventLoopPromise<RESPValue>)
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<(reply: EventLoopPromise<RESPValue>, deadline: NIODeadline)>(initialCapacity: 16)
    private var failure: (any Error)?
    /// Messages that answer no command (pub/sub deliveries); nil on an ordinary connection.
    private let onPush: (@Sendable (RESPValue) -> Void)?
    private let timeout: TimeAmount
    private var sweep: RepeatedTask?

    init(timeout: TimeAmount, onPush: (@Sendable (RESPValue) -> Void)? = nil) {
        self.timeout = timeout
        self.onPush = onPush
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let every = max(TimeAmount.milliseconds(10), .nanoseconds(timeout.nanoseconds / 4))
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        sweep = context.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
            loopBound.value.handler.expire(context: loopBound.value.context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweep?.cancel()
        sweep = nil
    }

    private func expire(context: ChannelHandlerContext) {
        guard failure == nil, let oldest = waiting.first, oldest.deadline < .now() else { return }
        fail(context: context, RedisError.unavailable("no reply within \(timeout.nanoseconds / 1_000_000) ms"))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let (command, reply) = unwrapOutboundIn(data)
        if let failure {
            reply.fail(failure)
            promise?.fail(failure)
            return
        }
        waiting.append((reply, .now() + timeout))
        context.write(wrapOutboundOut(command), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        if let onPush, Self.isPush(value) {
            onPush(value)
            return
        }
        guard let reply = waiting.popFirst()?.reply else {
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
        sweep?.cancel()
        sweep = nil
        failAll(RedisError.unavailable("the connection closed"))
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        if failure == nil { failure = error }
        while let waiter = waiting.popFirst() { waiter.reply.fail(error) }
    }

    /// `message` and `pmessage` deliveries in subscribe mode; subscribe confirmations answer their command.
    private static func isPush(_ value: RESPValue) -> Bool {
        guard let items = value.array, let kind = items.first?.string else { return false }
        return kind == "message" || kind == "pmessage"
    }
}
