import NIOCore

/// Answers the server's HTTP/2 PING frames itself, below swift-nio-http2, which then never sees them.
///
/// Why: grpc-go servers, Milvus among them, send a flow-control (BDP) PING with nearly every request, and swift-nio-http2
/// 1.46 closes a connection that receives more than 200 PINGs within 30 s (its new `controlFrameRateLimit`, apple/
/// swift-nio-http2#561), which grpc-swift-nio-transport 2.9 gives a client no way to raise. Every ~200th call to Milvus
/// failed with "Stream unexpectedly closed". The acknowledgement sent here is the one swift-nio-http2 would have sent.
/// Every other frame passes through byte for byte, in pieces as they arrive.
final class PingAnswerer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let headerBytes = 9
    static let pingType: UInt8 = 6
    static let ackFlag: UInt8 = 1

    /// Bytes of the current frame (not a PING) still to pass through.
    private var passing = 0
    /// The start of a frame whose header (or, for a PING, whole frame) has not fully arrived.
    private var head = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        var output: [ByteBuffer] = []
        while input.readableBytes > 0 {
            if passing > 0 {
                let count = min(passing, input.readableBytes)
                output.append(input.readSlice(length: count)!)
                passing -= count
                continue
            }
            // Gather the 9-byte header, then the 8 bytes of a PING's payload.
            let wanted = head.readableBytes < Self.headerBytes ? Self.headerBytes : Self.headerBytes + frameLength(head)
            var slice = input.readSlice(length: min(wanted - head.readableBytes, input.readableBytes))!
            head.writeBuffer(&slice)
            guard head.readableBytes == wanted else { continue }
            let isPing = head.getInteger(at: head.readerIndex + 3, as: UInt8.self) == Self.pingType
            let isAck = (head.getInteger(at: head.readerIndex + 4, as: UInt8.self)! & Self.ackFlag) != 0
            if isPing && !isAck {
                guard wanted > Self.headerBytes || frameLength(head) == 0 else { continue }
                var ack = head
                ack.setInteger(head.getInteger(at: head.readerIndex + 4, as: UInt8.self)! | Self.ackFlag, at: ack.readerIndex + 4)
                context.writeAndFlush(wrapOutboundOut(ack), promise: nil)
            } else {
                passing = frameLength(head)
                output.append(head)
            }
            head = ByteBuffer()
        }
        for piece in output { context.fireChannelRead(wrapInboundOut(piece)) }
    }

    /// The payload length in a frame header (24 bits, big endian).
    private func frameLength(_ header: ByteBuffer) -> Int {
        let start = header.readerIndex
        return Int(header.getInteger(at: start, as: UInt16.self)!) << 8 | Int(header.getInteger(at: start + 2, as: UInt8.self)!)
    }
}
