import NIOCore

/// Cuts a byte stream into lines (`\n`, `\r\n` or `\r`), however the bytes are chunked. A line longer
/// than `maxLineLength` is an error, so a provider that never sends a newline cannot exhaust memory.
struct LineSplitter {
    let maxLineLength: Int
    private var pending: [UInt8] = []
    private var lastWasCR = false

    struct LineTooLong: Error {}

    init(maxLineLength: Int = 4 << 20) {
        self.maxLineLength = maxLineLength
    }

    /// The lines completed by `buffer`.
    mutating func push(_ buffer: ByteBuffer) throws -> [String] {
        var lines: [String] = []
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    if lastWasCR { lastWasCR = false; continue }
                    lines.append(String(decoding: pending, as: UTF8.self))
                    pending.removeAll(keepingCapacity: true)
                } else if byte == UInt8(ascii: "\r") {
                    lastWasCR = true
                    lines.append(String(decoding: pending, as: UTF8.self))
                    pending.removeAll(keepingCapacity: true)
                } else {
                    lastWasCR = false
                    pending.append(byte)
                }
            }
        }
        guard pending.count <= maxLineLength else { throw LineTooLong() }
        return lines
    }

    /// The unterminated last line, if any.
    mutating func finish() -> String? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}

/// One Server-Sent Event: its `event` name (default `message`) and its `data` lines joined by `\n`.
public struct ServerSentEvent: Sendable, Equatable {
    public var event: String
    public var data: String
    public var id: String?
}

/// Assembles SSE lines into events as the HTML Living Standard describes: `field: value` lines, a blank
/// line dispatches, `:` lines are comments, several `data` lines join with newlines.
struct ServerSentEventParser {
    private var event = ""
    private var data: [String] = []
    private var id: String?

    /// The event completed by `line`, if any.
    mutating func feed(_ line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer { event = ""; data = [] }
            guard !data.isEmpty else { return nil }
            return ServerSentEvent(event: event.isEmpty ? "message" : event, data: data.joined(separator: "\n"), id: id)
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = line[...]
            value = ""
        }
        switch field {
        case "event": event = String(value)
        case "data": data.append(String(value))
        case "id": id = String(value)
        default: break
        }
        return nil
    }

    /// An event left without its closing blank line when the stream ended.
    mutating func finish() -> ServerSentEvent? { feed("") }
}
