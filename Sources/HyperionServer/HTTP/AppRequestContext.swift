import Hummingbird
import Logging

/// Per-request context: Hummingbird's core storage plus what Hyperion's middleware learns.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request id echoed in `X-Request-ID`, the error envelope and every log line.
    public var requestID: String = ""
    /// The authenticated user's id, once known; logged with the request.
    public var userID: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }
}
