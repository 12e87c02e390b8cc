import Foundation
import Hummingbird
@testable import HyperionServer
import HyperionCore
import Testing

@Suite("Hand-written JSON responses")
struct JSONObjectWriterTests {
    static let hostile = ["", "plain", "quote \" and backslash \\", "slash / and </script>", "line\nbreak\r\ttab",
                          "\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}", "é ü 漢字 🙂", "\u{2028}\u{2029}", "\\u0041", "\"\"\"\\\\"]

    @Test("every string survives: control characters, quotes, backslashes, non-ASCII")
    func strings() throws {
        for text in Self.hostile {
            var buffer = ByteBuffer()
            JSONObjectWriter.writeString(text, into: &buffer)
            let parsed = try JSONSerialization.jsonObject(with: Data(buffer: buffer), options: .fragmentsAllowed) as? String
            #expect(parsed == text, "\(text.debugDescription)")
        }
    }

    @Test("a user written by hand parses to the same object JSONEncoder gives")
    func userMatchesEncoder() throws {
        for (index, text) in Self.hostile.enumerated() {
            let user = User(email: "u\(index)@example.com", fullName: index % 3 == 0 ? nil : text,
                            role: index % 2 == 0 ? .admin : .user, isDisabled: index % 2 == 1, passwordHash: "x")
            let dto = UserResponse(user)
            let encoded = try JSONEncoder().encode(dto)
            let body = dto.json.finish()
            let handWritten = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? NSDictionary
            let reference = try JSONSerialization.jsonObject(with: encoded) as? NSDictionary
            #expect(handWritten != nil && handWritten == reference)
            let response = dto.json.response()
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            #expect(response.headers[.contentLength] == String(body.readableBytes))
        }
    }
}
