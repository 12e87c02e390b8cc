import Hummingbird
import Logging
import NIOCore

/// Per-request context: Hummingbird's core storage plus what Hyperion's middleware learns.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request id echoed in `X-Request-ID`, the error envelope and every log line.
    public var requestID: String = ""
    /// The route template (`/api/v1/users/{id}`) or `unmatched`; resolved once, by the outermost middleware.
    public var route: String = "unmatched"
    /// The authenticated caller, set by the authentication middleware.
    public var identity: Identity?
    /// The connection; its peer address is read and formatted only when asked for (`inet_ntop` goes through
    /// `sprintf`, and even reading the address takes the channel's lock, on every request, although only
    /// login throttling and the audit log need it).
    private let channel: any Channel

    /// The client's address from `X-Forwarded-For`, set only for connections from a trusted proxy.
    public var forwardedClientAddress: String?
    /// Whether the client spoke HTTPS: to this server (`tls.*`), or to a trusted proxy (`X-Forwarded-Proto: https`).
    public var clientUsesHTTPS = false

    /// The client's IP address: the one a trusted proxy forwarded, else the peer's; "unknown" when neither is known.
    public var clientAddress: String { forwardedClientAddress ?? peerAddress }

    /// The IP address of the connection's other end, or "unknown".
    public var peerAddress: String { channel.remoteAddress?.ipAddress ?? "unknown" }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
