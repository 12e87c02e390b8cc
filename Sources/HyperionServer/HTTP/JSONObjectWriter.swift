import HTTPTypes
import Hummingbird
import HyperionCore
import NIOCore

/// Writes one flat JSON object straight into a `ByteBuffer`, for the few hot responses (the caller's own
/// profile, asked on every page load by UIs and SDKs) where `JSONEncoder` cost more than the rest of the
/// request. Everything else goes through `JSONEncoder`; tests hold both to the same parsed result.
struct JSONObjectWriter {
    private var buffer: ByteBuffer
    private var empty = true

    init(capacity: Int = 256) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
        buffer.writeInteger(UInt8(ascii: "{"))
    }

    /// `"key":"value"`; nothing for nil, as `JSONEncoder` does with optional properties.
    mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        writeKey(key)
        Self.writeString(value, into: &buffer)
    }

    /// `"key":true` or `"key":false`.
    mutating func field(_ key: StaticString, _ value: Bool) {
        writeKey(key)
        buffer.writeStaticString(value ? "true" : "false")
    }

    /// The finished object's bytes.
    consuming func finish() -> ByteBuffer {
        buffer.writeInteger(UInt8(ascii: "}"))
        return buffer
    }

    private static let contentType = HTTPField(name: .contentType, value: "application/json; charset=utf-8")

    /// The finished object as a response with JSON headers, like Hummingbird's `ResponseEncodable` gives.
    consuming func response(status: HTTPResponse.Status = .ok) -> Response {
        let body = finish()
        var headers = HTTPFields()
        // Room for what the middleware adds on the way out (request id, security headers), in one allocation.
        headers.reserveCapacity(8)
        headers.append(Self.contentType)
        headers.append(HTTPField(name: .contentLength, value: String(body.readableBytes)))
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    private mutating func writeKey(_ key: StaticString) {
        if !empty { buffer.writeInteger(UInt8(ascii: ",")) }
        empty = false
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(key)
        buffer.writeStaticString("\":")
    }

    /// A JSON string literal: quote, backslash and control characters escaped, everything else as UTF-8.
    static func writeString(_ value: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                default:
                    buffer.writeStaticString("\\u00")
                    buffer.writeString(CollectionOfOne(byte).lowercaseHex)
                }
                start = index + 1
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
