/// Why a Redis call failed.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Redis could not be reached, or the connection broke or timed out. Callers fall back (limits count in
    /// memory) rather than fail the request.
    case unavailable(String)
    /// Redis answered a command with an error reply (`-ERR …`, `-NOSCRIPT …`, `-WRONGPASS …`).
    case server(String)
    /// The peer sent something that is not RESP; the connection is dropped.
    case protocolViolation(String)
    /// The reply was RESP but not the shape the command returns.
    case unexpectedReply(String)

    public var description: String {
        switch self {
        case .unavailable(let detail): "Redis is unavailable: \(detail)"
        case .server(let message): "Redis answered an error: \(message)"
        case .protocolViolation(let detail): "Redis sent something that is not RESP: \(detail)"
        case .unexpectedReply(let detail): "Redis sent an unexpected reply: \(detail)"
        }
    }
}
