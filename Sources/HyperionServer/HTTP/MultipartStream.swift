/// A streaming `multipart/form-data` parser (RFC 2046 §5.1, RFC 7578): bytes go in as they arrive, and each part's
/// header fields, body bytes and end come out through the callbacks. Written here because MultipartKit 4.7 traps
/// (crashing the server) on a byte of 128 or more in a part's header name, found by fuzzing.
///
/// Linear in its input: the body is searched once for `CRLF--boundary`, keeping back only the bytes that could be
/// the start of a split delimiter. Header blocks are bounded (16 KB, 64 fields a part).
final class MultipartStream {
    /// The body is not well-formed multipart.
    struct SyntaxError: Error, Equatable {
        let reason: String
    }

    var onHeader: (_ name: String, _ value: String) -> Void = { _, _ in }
    var onBody: (_ bytes: ArraySlice<UInt8>) -> Void = { _ in }
    var onPartComplete: () -> Void = {}

    static let maxHeaderBytes = 16 * 1024
    static let maxHeaderFields = 64

    private enum State { case preamble, afterDelimiter, headers, body, epilogue }

    private let delimiter: [UInt8]  // "--" + boundary
    private let bodyDelimiter: [UInt8]  // CRLF + "--" + boundary
    private var state = State.preamble
    private var buffer: [UInt8] = []
    private var start = 0
    private var atStreamStart = true
    private var headerBytes = 0
    private var headerFields = 0

    init(boundary: String) {
        delimiter = Array("--\(boundary)".utf8)
        bodyDelimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// Whether the closing delimiter has been seen.
    var isComplete: Bool { state == .epilogue }

    /// Parses what `bytes` completes; keeps the rest for the next call.
    func execute<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws {
        guard state != .epilogue else { return }  // anything after the closing delimiter is ignored
        buffer.append(contentsOf: bytes)
        var progressed = true
        while progressed, state != .epilogue {
            progressed = try step()
        }
        if start > 65_536, start * 2 > buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    private var available: Int { buffer.count - start }

    /// The first index `>= from` where `pattern` starts in the unread buffer, if any.
    private func find(_ pattern: [UInt8], from: Int) -> Int? {
        guard let first = pattern.first, buffer.count - from >= pattern.count else { return nil }
        var i = from
        let last = buffer.count - pattern.count
        while i <= last {
            if buffer[i] == first {
                var k = 1
                while k < pattern.count, buffer[i + k] == pattern[k] { k += 1 }
                if k == pattern.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// One step of the state machine; false when it needs more bytes.
    private func step() throws -> Bool {
        switch state {
        case .preamble:
            // The first delimiter starts the body or follows a CRLF that ends the preamble.
            if atStreamStart {
                guard available >= delimiter.count else { return false }
                if buffer[start..<(start + delimiter.count)].elementsEqual(delimiter) {
                    start += delimiter.count
                    state = .afterDelimiter
                    return true
                }
                atStreamStart = false
            }
            if let at = find(bodyDelimiter, from: start) {
                start = at + bodyDelimiter.count
                state = .afterDelimiter
                return true
            }
            start = max(start, buffer.count - (bodyDelimiter.count - 1))
            return false
        case .afterDelimiter:
            // Optional blanks, then CRLF (a part follows) or "--" (the end).
            var i = start
            while i < buffer.count, buffer[i] == 0x20 || buffer[i] == 0x09 { i += 1 }
            guard i - start <= 64 else { throw SyntaxError(reason: "blanks after a boundary") }
            guard buffer.count - i >= 2 else { return false }
            if buffer[i] == 0x2D, buffer[i + 1] == 0x2D {
                start = i + 2
                state = .epilogue
                return true
            }
            guard buffer[i] == 0x0D, buffer[i + 1] == 0x0A else { throw SyntaxError(reason: "a boundary is not followed by a line break") }
            start = i + 2
            state = .headers
            headerBytes = 0
            headerFields = 0
            return true
        case .headers:
            guard let end = find([0x0D, 0x0A], from: start) else {
                if headerBytes + available > Self.maxHeaderBytes { throw SyntaxError(reason: "a part's header is larger than 16 KB") }
                return false
            }
            headerBytes += end - start + 2
            guard headerBytes <= Self.maxHeaderBytes else { throw SyntaxError(reason: "a part's header is larger than 16 KB") }
            let line = buffer[start..<end]
            start = end + 2
            if line.isEmpty {
                state = .body
                return true
            }
            headerFields += 1
            guard headerFields <= Self.maxHeaderFields else { throw SyntaxError(reason: "a part has more than 64 header fields") }
            guard let colon = line.firstIndex(of: 0x3A), colon > line.startIndex,
                  line[..<colon].allSatisfy(Self.isTokenByte) else { throw SyntaxError(reason: "a header field has no valid name") }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            var value = line[(colon + 1)...]
            while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
            while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
            onHeader(name, String(decoding: value, as: UTF8.self))
            return true
        case .body:
            var from = start
            while let at = find(bodyDelimiter, from: from) {
                switch endsDelimiter(at: at + bodyDelimiter.count) {
                case nil:  // cannot tell yet: keep it for the next bytes
                    if at > start { onBody(buffer[start..<at]) }
                    start = at
                    return false
                case true?:
                    if at > start { onBody(buffer[start..<at]) }
                    onPartComplete()
                    start = at + bodyDelimiter.count
                    state = .afterDelimiter
                    return true
                case false?:  // "--boundaryX…" is content, not a delimiter
                    from = at + 1
                }
            }
            // Everything but a possible delimiter's beginning is body.
            let safe = max(from, buffer.count - (bodyDelimiter.count - 1))
            if safe > start {
                onBody(buffer[start..<safe])
                start = safe
            }
            return false
        case .epilogue:
            return false
        }
    }

    /// Whether the bytes from `index` close a delimiter (blanks, then CRLF or "--"); nil until enough have come.
    private func endsDelimiter(at index: Int) -> Bool? {
        var i = index
        while i < buffer.count, buffer[i] == 0x20 || buffer[i] == 0x09 {
            i += 1
            if i - index > 64 { return false }
        }
        guard buffer.count - i >= 2 else { return nil }
        return (buffer[i] == 0x0D && buffer[i + 1] == 0x0A) || (buffer[i] == 0x2D && buffer[i + 1] == 0x2D)
    }

    /// RFC 9110 token characters: visible ASCII except separators.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }
}
