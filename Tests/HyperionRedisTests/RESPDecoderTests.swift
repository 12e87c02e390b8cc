import NIOCore
@testable import HyperionRedis
import Testing

@Suite("RESP replies")
struct RESPDecoderTests {
    private func parse(_ text: String) throws -> RESPValue? {
        var buffer = ByteBuffer(string: text)
        return try RESPDecoder.parse(&buffer)
    }

    @Test("every RESP2 reply type, nulls and nested arrays")
    func types() throws {
        #expect(try parse("+OK\r\n") == .simpleString("OK"))
        #expect(try parse("-ERR wrong\r\n") == .error("ERR wrong"))
        #expect(try parse(":-42\r\n") == .integer(-42))
        #expect(try parse("$5\r\nhe\r\no\r\n") == .bulkString(ByteBuffer(string: "he\r\no")), "CRLF inside a bulk string is data")
        #expect(try parse("$0\r\n\r\n") == .bulkString(ByteBuffer()))
        #expect(try parse("$-1\r\n") == .bulkString(nil))
        #expect(try parse("*-1\r\n") == .array(nil))
        #expect(try parse("*0\r\n") == .array([]))
        #expect(try parse("*2\r\n*1\r\n:1\r\n$1\r\nx\r\n") == .array([.array([.integer(1)]), .bulkString(ByteBuffer(string: "x"))]))
    }

    @Test("a reply split at every byte boundary waits for the rest and then reads whole, consuming exactly itself")
    func fragments() throws {
        let text = "*3\r\n$3\r\nfoo\r\n:7\r\n*1\r\n+ok\r\n"
        for cut in 0..<text.utf8.count {
            var buffer = ByteBuffer(bytes: Array(text.utf8.prefix(cut)))
            #expect(try RESPDecoder.parse(&buffer) == nil, "cut at \(cut)")
            #expect(buffer.readableBytes == cut, "nothing consumed at \(cut)")
        }
        var two = ByteBuffer(string: text + ":1\r\n")
        #expect(try RESPDecoder.parse(&two)?.array?.count == 3)
        #expect(try RESPDecoder.parse(&two) == .integer(1))
        #expect(two.readableBytes == 0)
    }

    @Test("garbage is a protocol violation, never a crash or an endless wait")
    func garbage() throws {
        for bad in ["?what\r\n", ":12x\r\n", "$-2\r\n", "$abc\r\n", "*-5\r\n", "$3\r\nabcde\r\n", "+ok\rX", "$999999999999\r\n"] {
            #expect(throws: RedisError.self, "\(bad.debugDescription)") { try parse(bad) }
        }
        var deep = ByteBuffer(string: String(repeating: "*1\r\n", count: 40) + ":1\r\n")
        #expect(throws: RedisError.self) { try RESPDecoder.parse(&deep) }
        var longLine = ByteBuffer(string: "+" + String(repeating: "a", count: 70_000))
        #expect(throws: RedisError.self) { try RESPDecoder.parse(&longLine) }
        var big = ByteBuffer(string: "$100\r\n")
        #expect(throws: RedisError.self) { try RESPDecoder.parse(&big, maxBulkLength: 10) }
    }

    @Test("commands go out as arrays of bulk strings, binary-safe")
    func commands() {
        var buffer = ByteBuffer()
        RESPCommand.write(["SET", "k", .bytes(ByteBuffer(bytes: [0, 13, 10, 255])), .int(7)], into: &buffer)
        #expect(Array(buffer.readableBytesView) == Array("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n".utf8) + [0, 13, 10, 255] + Array("\r\n$1\r\n7\r\n".utf8))
    }
}

@Suite("Redis URLs")
struct RedisSettingsTests {
    @Test("redis://, rediss://, unix:// with user, password and database")
    func forms() throws {
        let plain = try RedisSettings(url: "redis://127.0.0.1")
        #expect(plain.endpoint == .tcp(host: "127.0.0.1", port: 6379) && !plain.tls && plain.database == 0 && plain.password == nil)
        let full = try RedisSettings(url: "rediss://app:p%40ss@cache.internal:6380/3")
        #expect(full.endpoint == .tcp(host: "cache.internal", port: 6380) && full.tls && full.username == "app" && full.password == "p@ss" && full.database == 3)
        let passwordOnly = try RedisSettings(url: "redis://:secret@localhost/2")
        #expect(passwordOnly.username == nil && passwordOnly.password == "secret" && passwordOnly.database == 2)
        let socket = try RedisSettings(url: "unix:///run/redis/redis.sock?db=5&password=pw")
        #expect(socket.endpoint == .unixSocket(path: "/run/redis/redis.sock") && socket.database == 5 && socket.password == "pw")
        #expect(!full.displayName.contains("p@ss") && !socket.displayName.contains("pw"))
    }

    @Test("bad URLs say what is wrong without echoing the password")
    func bad() {
        for url in ["", "http://host", "redis://", "redis://host:0", "redis://host/abc", "unix://", "redis://:topsecret@host/x", "redis://host?db=-1"] {
            #expect(throws: RedisSettingsError.self, "\(url)") { try RedisSettings(url: url) }
            if let error = (try? RedisSettings(url: url)) == nil ? Result(catching: { try RedisSettings(url: url) }).failure : nil {
                #expect(!"\(error)".contains("topsecret"))
            }
        }
    }
}

private extension Result {
    var failure: Failure? { if case .failure(let error) = self { error } else { nil } }
}
