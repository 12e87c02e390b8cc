import NIOCore

/// Reads RESP2 replies off the wire. Incomplete input waits for more bytes; anything that is not RESP, a bulk string
/// longer than ``maxBulkLength`` or arrays nested deeper than ``maxDepth`` is a ``RedisError/protocolViolation`` and the
/// connection is dropped: after a framing error nothing later on it can be trusted.
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    /// Largest bulk string accepted (Redis's own limit is 512 MB; nothing Hyperion stores comes near this).
    var maxBulkLength = 64 << 20
    /// Deepest array nesting accepted.
    var maxDepth = 16

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try Self.parse(&buffer, maxBulkLength: maxBulkLength, maxDepth: maxDepth) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    /// One whole value from the front of `buffer`, consumed; nil (nothing consumed) when more bytes are needed.
    static func parse(_ buffer: inout ByteBuffer, maxBulkLength: Int = 64 << 20, maxDepth: Int = 16) throws -> RESPValue? {
        var copy = buffer
        guard let value = try parseValue(&copy, maxBulkLength: maxBulkLength, depth: maxDepth) else { return nil }
        buffer = copy
        return value
    }

    private static func parseValue(_ buffer: inout ByteBuffer, maxBulkLength: Int, depth: Int) throws -> RESPValue? {
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        guard let line = try readLine(&buffer, after: 1) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simpleString(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"):
            guard let value = Int64(line) else { throw RedisError.protocolViolation("integer reply '\(line.prefix(40))'") }
            return .integer(value)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1, length <= maxBulkLength else {
                throw RedisError.protocolViolation("bulk string length '\(line.prefix(40))'")
            }
            if length == -1 { return .bulkString(nil) }
            guard buffer.readableBytes >= length + 2 else { return nil }
            let bytes = buffer.readSlice(length: length)!
            guard buffer.readInteger(as: UInt8.self) == 13, buffer.readInteger(as: UInt8.self) == 10 else {
                throw RedisError.protocolViolation("bulk string not followed by CRLF")
            }
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1, count <= 1 << 24 else {
                throw RedisError.protocolViolation("array length '\(line.prefix(40))'")
            }
            if count == -1 { return .array(nil) }
            guard depth > 0 else { throw RedisError.protocolViolation("arrays nested too deep") }
            var values: [RESPValue] = []
            values.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                guard let value = try parseValue(&buffer, maxBulkLength: maxBulkLength, depth: depth - 1) else { return nil }
                values.append(value)
            }
            return .array(values)
        default:
            throw RedisError.protocolViolation("unknown reply type byte \(type)")
        }
    }

    /// The text between a one-byte type marker and CRLF, consumed with both; nil when the CRLF has not arrived.
    private static func readLine(_ buffer: inout ByteBuffer, after skip: Int) throws -> String? {
        let view = buffer.readableBytesView
        guard let cr = view.dropFirst(skip).firstIndex(of: 13) else {
            // A line never needs this much: a peer sending it is not Redis.
            if view.count > 64 * 1024 { throw RedisError.protocolViolation("reply line without CRLF") }
            return nil
        }
        guard cr + 1 < view.endIndex else { return nil }
        guard view[cr + 1] == 10 else { throw RedisError.protocolViolation("CR not followed by LF") }
        let text = String(decoding: view[(view.startIndex + skip)..<cr], as: UTF8.self)
        buffer.moveReaderIndex(to: cr + 2)
        return text
    }
}
