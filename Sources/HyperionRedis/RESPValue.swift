import NIOCore

/// One reply in Redis's serialization protocol (RESP2), the protocol every Redis since 2.0 speaks by default.
public enum RESPValue: Sendable, Equatable {
    /// `+OK`.
    case simpleString(String)
    /// `-ERR …`: a command failed; the connection stays usable.
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$5 hello`, or nil for RESP2's null bulk string (`$-1`).
    case bulkString(ByteBuffer?)
    /// `*2 …`, or nil for the null array (`*-1`).
    case array([RESPValue]?)

    /// The text of a simple or bulk string; nil for anything else, a null included.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(buffer: bytes)
        default: nil
        }
    }

    /// The value of an integer reply, or of a string that holds one.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString, .simpleString: string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The elements of an array reply; nil for anything else.
    public var array: [RESPValue]? {
        if case .array(let values?) = self { return values }
        return nil
    }

    /// Whether this is a null bulk string or null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): true
        default: false
        }
    }
}

/// A command as Redis receives it: an array of bulk strings.
enum RESPCommand {
    /// Writes `arguments` as one RESP array of bulk strings.
    static func write(_ arguments: [RedisArgument], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("*")
        buffer.writeString(String(arguments.count))
        buffer.writeStaticString("\r\n")
        for argument in arguments {
            switch argument {
            case .string(let text):
                buffer.writeStaticString("$")
                buffer.writeString(String(text.utf8.count))
                buffer.writeStaticString("\r\n")
                buffer.writeString(text)
            case .bytes(let bytes):
                buffer.writeStaticString("$")
                buffer.writeString(String(bytes.readableBytes))
                buffer.writeStaticString("\r\n")
                buffer.writeImmutableBuffer(bytes)
            }
            buffer.writeStaticString("\r\n")
        }
    }
}

/// One argument of a command: text, or raw bytes (a value that need not be UTF-8).
public enum RedisArgument: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case bytes(ByteBuffer)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .string(String(value)) }

    /// An integer argument.
    public static func int<T: BinaryInteger>(_ value: T) -> RedisArgument { .string(String(value)) }
}
