import CRabbitMQ
import Foundation

/// Why a RabbitMQ operation failed; the connection is unusable after any of these.
public struct AMQPError: Error, Sendable, CustomStringConvertible {
    /// What failed and why, in the broker's or the library's words.
    public var message: String
    /// The broker's reply code (e.g. 406 PRECONDITION_FAILED), when it closed the channel or connection.
    public var code: Int?

    public var description: String { code.map { "\(message) (\($0))" } ?? message }
}

/// A message received from a consumer.
struct AMQPDelivery {
    var consumerTag: String
    var deliveryTag: UInt64
    var redelivered: Bool
    var body: Data
    var correlationID: String?
    var replyTo: String?
}

/// Properties of a published message.
struct AMQPMessageProperties {
    var persistent = false
    var correlationID: String?
    var replyTo: String?
    var messageID: String?
    var contentType: String? = "application/json"
    /// Milliseconds the message may wait in a queue before it expires (and is dead-lettered, reason `expired`).
    var expiration: Int?
}

/// One argument of a queue declaration.
enum AMQPArgument {
    case string(String)
    case int(Int64)
}

/// One connection with one channel, over librabbitmq. Blocking and not thread-safe: its owner calls it from one
/// thread (or serial queue) at a time.
final class AMQPConnection {
    private let state: amqp_connection_state_t
    private let channel: amqp_channel_t = 1
    private var open = false
    /// Publishes made in confirm mode, and the highest the broker confirmed.
    private(set) var published: UInt64 = 0
    private var confirmed: UInt64 = 0
    private var confirming = false

    /// Connects, logs in and opens the channel.
    init(settings: RabbitMQSettings, heartbeatSeconds: Int) throws {
        guard let state = amqp_new_connection() else { throw AMQPError(message: "out of memory") }
        // Fully initialised from here: when a step below throws, deinit destroys the connection state (once).
        self.state = state
        let socket: OpaquePointer?
        if settings.tls {
            socket = amqp_ssl_socket_new(state)
            guard let socket else { throw AMQPError(message: "TLS is not available") }
            amqp_ssl_socket_set_verify_peer(socket, 1)
            amqp_ssl_socket_set_verify_hostname(socket, 1)
            if let caFile = settings.caFile {
                try check(amqp_ssl_socket_set_cacert(socket, caFile), "reading the CA file")
            }
        } else {
            socket = amqp_tcp_socket_new(state)
        }
        guard let socket else { throw AMQPError(message: "cannot create a socket") }
        var timeout = timeval(settings.timeout)
        try check(amqp_socket_open_noblock(socket, settings.host, Int32(settings.port), &timeout), "connecting to \(settings)")
        // Blocking RPCs (declare, confirm waits) give up after the same time instead of hanging on a stalled broker.
        _ = amqp_set_rpc_timeout(state, &timeout)
        try checkReply(hyperion_amqp_login(state, settings.vhost, Int32(heartbeatSeconds), settings.user, settings.password), "logging in")
        amqp_channel_open(state, channel)
        try checkReply(amqp_get_rpc_reply(state), "opening a channel")
        open = true
    }

    deinit {
        if open {
            _ = amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS)
            _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        }
        amqp_destroy_connection(state)
    }

    /// Closes without waiting for the broker (after an error, or to drop the connection).
    func abandon() { open = false }

    // MARK: topology

    /// Declares a queue (or checks it exists, `passive`); returns its ready messages and consumers.
    @discardableResult
    func declareQueue(_ name: String, passive: Bool = false, durable: Bool = true, exclusive: Bool = false, autoDelete: Bool = false,
                      arguments: [(String, AMQPArgument)] = []) throws -> (messages: Int, consumers: Int) {
        let ok = withTable(arguments) { table in
            name.withBytes { queue in
                amqp_queue_declare(state, channel, queue, passive ? 1 : 0, durable ? 1 : 0, exclusive ? 1 : 0, autoDelete ? 1 : 0, table)
            }
        }
        try checkReply(amqp_get_rpc_reply(state), "declaring queue \(name)")
        guard let ok else { throw AMQPError(message: "declaring queue \(name): no answer") }
        return (Int(ok.pointee.message_count), Int(ok.pointee.consumer_count))
    }

    /// Declares an exchange.
    func declareExchange(_ name: String, type: String, durable: Bool) throws {
        name.withBytes { exchange in
            type.withBytes { kind in
                _ = amqp_exchange_declare(state, channel, exchange, kind, 0, durable ? 1 : 0, 0, 0, amqp_empty_table)
            }
        }
        try checkReply(amqp_get_rpc_reply(state), "declaring exchange \(name)")
    }

    /// Binds a queue to an exchange.
    func bind(queue: String, exchange: String, routingKey: String = "") throws {
        queue.withBytes { q in
            exchange.withBytes { e in
                routingKey.withBytes { key in _ = amqp_queue_bind(state, channel, q, e, key, amqp_empty_table) }
            }
        }
        try checkReply(amqp_get_rpc_reply(state), "binding \(queue) to \(exchange)")
    }

    // MARK: publishing

    /// Puts the channel in confirm mode: the broker acknowledges each publish once it holds the message.
    func enableConfirms() throws {
        amqp_confirm_select(state, channel)
        try checkReply(amqp_get_rpc_reply(state), "enabling publisher confirms")
        confirming = true
    }

    /// Publishes a message; returns its sequence number in confirm mode.
    @discardableResult
    func publish(exchange: String = "", routingKey: String, body: Data, properties: AMQPMessageProperties) throws -> UInt64 {
        var props = amqp_basic_properties_t()
        var flags: amqp_flags_t = 0
        let strings = [properties.contentType, properties.correlationID, properties.replyTo, properties.messageID, properties.expiration.map(String.init)]
            .map { $0.map { strdup($0) } }
        defer { strings.forEach { $0.map { free($0) } } }
        func bytes(_ pointer: UnsafeMutablePointer<CChar>??) -> amqp_bytes_t { amqp_cstring_bytes(pointer!!) }
        if strings[0] != nil { flags |= HYPERION_AMQP_CONTENT_TYPE; props.content_type = bytes(strings[0]) }
        if strings[1] != nil { flags |= HYPERION_AMQP_CORRELATION_ID; props.correlation_id = bytes(strings[1]) }
        if strings[2] != nil { flags |= HYPERION_AMQP_REPLY_TO; props.reply_to = bytes(strings[2]) }
        if strings[3] != nil { flags |= HYPERION_AMQP_MESSAGE_ID; props.message_id = bytes(strings[3]) }
        if strings[4] != nil { flags |= HYPERION_AMQP_EXPIRATION; props.expiration = bytes(strings[4]) }
        if properties.persistent { flags |= HYPERION_AMQP_DELIVERY_MODE; props.delivery_mode = 2 }
        props._flags = flags
        let status = exchange.withBytes { e in
            routingKey.withBytes { key in
                body.withUnsafeBytes { raw in
                    amqp_basic_publish(state, channel, e, key, 0, 0, &props,
                                       amqp_bytes_t(len: raw.count, bytes: UnsafeMutableRawPointer(mutating: raw.baseAddress)))
                }
            }
        }
        try check(status, "publishing to \(exchange.isEmpty ? routingKey : exchange)")
        if confirming { published += 1 }
        return published
    }

    /// Waits until the broker confirmed every publish up to `sequence`; throws when it refused one (nack) or did not
    /// answer within the RPC timeout.
    func waitForConfirm(_ sequence: UInt64, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while confirmed < sequence {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                open = false
                throw AMQPError(message: "the broker did not confirm a publish within \(timeout)")
            }
            var frame = amqp_frame_t()
            var wait = timeval(left)
            let status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
            if status == AMQP_STATUS_TIMEOUT.rawValue { continue }
            try check(status, "waiting for a publish confirm")
            guard frame.frame_type == AMQP_FRAME_METHOD else { continue }
            switch frame.payload.method.id {
            case HYPERION_AMQP_BASIC_ACK:
                let ack = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                confirmed = max(confirmed, ack.delivery_tag)
            case HYPERION_AMQP_BASIC_NACK:
                open = false
                throw AMQPError(message: "the broker refused a message (nack)")
            default:
                try checkClose(frame.payload.method, "waiting for a publish confirm")
            }
        }
    }

    // MARK: consuming

    /// Limits unacknowledged deliveries on the channel.
    func qos(prefetch: Int) throws {
        amqp_basic_qos(state, channel, 0, UInt16(clamping: prefetch), 0)
        try checkReply(amqp_get_rpc_reply(state), "setting the prefetch limit")
    }

    /// Starts consuming a queue; returns the consumer tag.
    func consume(queue: String, autoAck: Bool) throws -> String {
        let ok = queue.withBytes { q in amqp_basic_consume(state, channel, q, amqp_empty_bytes, 0, autoAck ? 1 : 0, 0, amqp_empty_table) }
        try checkReply(amqp_get_rpc_reply(state), "consuming \(queue)")
        guard let ok else { throw AMQPError(message: "consuming \(queue): no answer") }
        return String(bytes: ok.pointee.consumer_tag)
    }

    /// Stops a consumer: no further deliveries for it (those in flight still arrive).
    func cancel(consumerTag: String) throws {
        consumerTag.withBytes { tag in _ = amqp_basic_cancel(state, channel, tag) }
        try checkReply(amqp_get_rpc_reply(state), "cancelling a consumer")
    }

    /// The next delivery, or nil when none came within `timeout`.
    func next(timeout: Duration) throws -> AMQPDelivery? {
        amqp_maybe_release_buffers(state)
        var envelope = amqp_envelope_t()
        var wait = timeval(timeout)
        let reply = amqp_consume_message(state, &envelope, &wait, 0)
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            defer { amqp_destroy_envelope(&envelope) }
            let properties = envelope.message.properties
            return AMQPDelivery(
                consumerTag: String(bytes: envelope.consumer_tag), deliveryTag: envelope.delivery_tag, redelivered: envelope.redelivered != 0,
                body: envelope.message.body.bytes.map { Data(bytes: $0, count: envelope.message.body.len) } ?? Data(),
                correlationID: properties._flags & HYPERION_AMQP_CORRELATION_ID != 0 ? String(bytes: properties.correlation_id) : nil,
                replyTo: properties._flags & HYPERION_AMQP_REPLY_TO != 0 ? String(bytes: properties.reply_to) : nil
            )
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_TIMEOUT.rawValue:
            return nil
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue:
            // A frame other than a delivery: read it; a close ends the connection, anything else is ignored.
            var frame = amqp_frame_t()
            try check(amqp_simple_wait_frame(state, &frame), "reading from the broker")
            if frame.frame_type == AMQP_FRAME_METHOD {
                if frame.payload.method.id == HYPERION_AMQP_BASIC_CANCEL {
                    throw AMQPError(message: "the broker cancelled the consumer (queue deleted?)")
                }
                try checkClose(frame.payload.method, "consuming")
            }
            return nil
        default:
            try checkReply(reply, "consuming")
            return nil
        }
    }

    /// Acknowledges a delivery.
    func ack(_ deliveryTag: UInt64) throws { try check(amqp_basic_ack(state, channel, deliveryTag, 0), "acknowledging") }

    /// Rejects a delivery: back to the queue (`requeue`) or to the dead-letter exchange.
    func reject(_ deliveryTag: UInt64, requeue: Bool) throws {
        try check(amqp_basic_reject(state, channel, deliveryTag, requeue ? 1 : 0), "rejecting")
    }

    // MARK: errors

    // Any failure leaves the connection unusable: deinit then only destroys it, without a close handshake that could
    // wait on a dead socket.
    private func check(_ status: Int32, _ what: String) throws {
        guard status >= 0 else {
            open = false
            throw AMQPError(message: "\(what): \(String(cString: amqp_error_string2(status)))")
        }
    }

    private func checkClose(_ method: amqp_method_t, _ what: String) throws {
        switch method.id {
        case HYPERION_AMQP_CHANNEL_CLOSE:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            open = false
            throw AMQPError(message: "\(what): the broker closed the channel: \(String(bytes: close.reply_text))", code: Int(close.reply_code))
        case HYPERION_AMQP_CONNECTION_CLOSE:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            open = false
            throw AMQPError(message: "\(what): the broker closed the connection: \(String(bytes: close.reply_text))", code: Int(close.reply_code))
        default:
            return
        }
    }

    private func checkReply(_ reply: amqp_rpc_reply_t, _ what: String) throws {
        if reply.reply_type != AMQP_RESPONSE_NORMAL { open = false }
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL: return
        case AMQP_RESPONSE_NONE: throw AMQPError(message: "\(what): no answer from the broker")
        case AMQP_RESPONSE_LIBRARY_EXCEPTION: throw AMQPError(message: "\(what): \(String(cString: amqp_error_string2(reply.library_error)))")
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            try checkClose(reply.reply, what)
            throw AMQPError(message: "\(what): the broker refused")
        default: throw AMQPError(message: "\(what): unexpected answer")
        }
    }

    private func withTable<T>(_ arguments: [(String, AMQPArgument)], _ body: (amqp_table_t) throws -> T) rethrows -> T {
        guard !arguments.isEmpty else { return try body(amqp_empty_table) }
        // Keys and string values are copied to C memory that lives until the call returns.
        var owned: [UnsafeMutablePointer<CChar>] = []
        defer { owned.forEach { free($0) } }
        var entries: [amqp_table_entry_t] = arguments.map { key, value in
            let keyCopy = strdup(key)!
            owned.append(keyCopy)
            var entry = amqp_table_entry_t()
            entry.key = amqp_cstring_bytes(keyCopy)
            switch value {
            case .string(let text):
                let copy = strdup(text)!
                owned.append(copy)
                entry.value.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
                entry.value.value.bytes = amqp_cstring_bytes(copy)
            case .int(let number):
                entry.value.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
                entry.value.value.i64 = number
            }
            return entry
        }
        return try entries.withUnsafeMutableBufferPointer { buffer in
            try body(amqp_table_t(num_entries: Int32(buffer.count), entries: buffer.baseAddress))
        }
    }
}

extension String {
    /// Calls `body` with the string as AMQP bytes (valid during the call only).
    func withBytes<T>(_ body: (amqp_bytes_t) throws -> T) rethrows -> T {
        var copy = self
        return try copy.withUTF8 { utf8 in
            try body(amqp_bytes_t(len: utf8.count, bytes: UnsafeMutableRawPointer(mutating: utf8.baseAddress)))
        }
    }

    /// Decodes AMQP bytes as UTF-8.
    init(bytes: amqp_bytes_t) {
        guard let base = bytes.bytes, bytes.len > 0 else { self = ""; return }
        self = String(decoding: UnsafeRawBufferPointer(start: base, count: bytes.len), as: UTF8.self)
    }
}

extension timeval {
    /// A duration as the client's waits take it (microsecond precision).
    init(_ duration: Duration) {
        self.init(tv_sec: Int(duration.components.seconds), tv_usec: Int(duration.components.attoseconds / 1_000_000_000_000))
    }
}
