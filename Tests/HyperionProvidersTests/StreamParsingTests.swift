import Foundation
@testable import HyperionProviders
import NIOCore
import Testing

@Suite("Line and SSE parsing, retry policy")
struct StreamParsingTests {
    @Test("Lines survive any chunking, with LF, CRLF and CR endings")
    func lines() throws {
        let text = "data: a\r\ndata: b\n\nevent: x\rdata: é\n"
        let bytes = Array(text.utf8)
        for size in 1...bytes.count {
            var splitter = LineSplitter()
            var lines: [String] = []
            var index = 0
            while index < bytes.count {
                let end = min(index + size, bytes.count)
                lines += try splitter.push(ByteBuffer(bytes: bytes[index..<end]))
                index = end
            }
            if let last = splitter.finish() { lines.append(last) }
            #expect(lines == ["data: a", "data: b", "", "event: x", "data: é"], "chunk size \(size)")
        }
    }

    @Test("An endless line is refused")
    func endlessLine() {
        var splitter = LineSplitter(maxLineLength: 100)
        #expect(throws: LineSplitter.LineTooLong.self) { _ = try splitter.push(ByteBuffer(repeating: 65, count: 101)) }
    }

    @Test("SSE: event names, joined data lines, comments, missing final blank line")
    func sse() {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for line in [": heartbeat", "event: delta", "data: one", "data:two", "", "data: plain", "", "data: tail"] {
            if let event = parser.feed(line) { events.append(event) }
        }
        if let event = parser.finish() { events.append(event) }
        #expect(events.map(\.event) == ["delta", "message", "message"])
        #expect(events.map(\.data) == ["one\ntwo", "plain", "tail"])
    }

    @Test("Backoff grows, is jittered below its ceiling, and honours Retry-After")
    func backoff() {
        let policy = RetryPolicy(maxRetries: 3, baseDelay: .milliseconds(100))
        for attempt in 0..<4 {
            let delay = policy.delay(attempt: attempt, retryAfter: nil)
            #expect(delay >= .zero && delay <= .milliseconds(100 << attempt))
        }
        #expect(policy.delay(attempt: 0, retryAfter: 2) >= .seconds(2))
        #expect(RetryPolicy.parseRetryAfter("3") == 3)
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
        let future = Date().addingTimeInterval(30)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let seconds = RetryPolicy.parseRetryAfter(formatter.string(from: future)) ?? -1
        #expect(seconds > 25 && seconds <= 30)
    }
}
