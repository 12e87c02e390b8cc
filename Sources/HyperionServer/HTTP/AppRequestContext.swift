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
    /// Shared with middleware outside authentication (the access log) so they can name the user.
    public let identityBox = IdentityBox()
    /// The peer's address; formatted only when asked for (`inet_ntop` goes through `sprintf`, which showed in
    /// the profile of every request although only login throttling and the audit log read it).
    private let remoteAddress: SocketAddress?

    /// The peer's IP address, or "unknown".
    public var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
