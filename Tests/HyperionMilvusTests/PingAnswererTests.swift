import NIOCore
import NIOEmbedded
@testable import HyperionMilvus
import Testing

/// The shim that answers HTTP/2 PINGs below swift-nio-http2: pings are answered and removed, everything else passes.
@Suite struct PingAnswererTests {
    func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
                UInt8(stream >> 24 & 0xFF), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
    }

    /// Feeds `bytes` in pieces of `chunk` bytes; returns what went up the pipeline and what was written back.
    func run(_ bytes: [UInt8], chunk: Int) throws -> (passed: [UInt8], written: [UInt8]) {
        let channel = EmbeddedChannel(handler: PingAnswerer())
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            try channel.writeInbound(ByteBuffer(bytes: bytes[start..<min(start + chunk, bytes.count)]))
        }
        var passed: [UInt8] = []
        while let piece = try channel.readInbound(as: ByteBuffer.self) { passed += Array(piece.readableBytesView) }
        var written: [UInt8] = []
        while let piece = try channel.readOutbound(as: ByteBuffer.self) { written += Array(piece.readableBytesView) }
        _ = try channel.finish()
        return (passed, written)
    }

    @Test(arguments: [1, 2, 5, 9, 10, 17, 64, 100_000])
    func pingsAreAnsweredAndEverythingElsePassesWhateverTheChunking(chunk: Int) throws {
        let settings = frame(type: 4, payload: [0, 3, 0, 0, 0, 100])
        let ping = frame(type: 6, payload: [1, 2, 3, 4, 5, 6, 7, 8])
        let pingAck = frame(type: 6, flags: 1, payload: [9, 9, 9, 9, 9, 9, 9, 9])
        let headers = frame(type: 1, flags: 4, stream: 1, payload: Array(repeating: 0x82, count: 30))
        let data = frame(type: 0, flags: 1, stream: 1, payload: (0..<300).map { UInt8($0 % 251) })
        let emptyData = frame(type: 0, stream: 3, payload: [])
        let stream = settings + ping + headers + pingAck + data + ping + emptyData
        let (passed, written) = try run(stream, chunk: chunk)
        #expect(passed == settings + headers + pingAck + data + emptyData, "everything but the server's pings, unchanged")
        #expect(written == frame(type: 6, flags: 1, payload: [1, 2, 3, 4, 5, 6, 7, 8]) + frame(type: 6, flags: 1, payload: [1, 2, 3, 4, 5, 6, 7, 8]),
                "each ping acknowledged with its own payload")
    }

    @Test func aPingSplitAcrossReadsIsAnsweredOnceWhole() throws {
        let ping = frame(type: 6, payload: [8, 7, 6, 5, 4, 3, 2, 1])
        let channel = EmbeddedChannel(handler: PingAnswerer())
        try channel.writeInbound(ByteBuffer(bytes: ping.prefix(12)))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "no answer before the payload is complete")
        try channel.writeInbound(ByteBuffer(bytes: ping.dropFirst(12)))
        let answer = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(answer.readableBytesView) == frame(type: 6, flags: 1, payload: [8, 7, 6, 5, 4, 3, 2, 1]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
    }
}
