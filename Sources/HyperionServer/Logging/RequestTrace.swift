import Synchronization

/// What one request's log lines say about it: its id and, once authenticated, the caller.
///
/// The request-id middleware binds it to the request's task (``current``); ``LogLineHandler`` adds its
/// `request_id` and `user_id` to every line logged from that task and its child tasks, including lines
/// of loggers that never saw the request (the store's). Writing both into the request logger's metadata
/// instead copied the logger's storage and dictionary twice per request, and most requests log nothing.
/// The access log, outside authentication, names the caller through it too.
public final class RequestTrace: Sendable {
    /// The trace of the request the current task serves, if any.
    @TaskLocal public static var current: RequestTrace?

    /// The request id echoed in `X-Request-ID`.
    public let requestID: String
    private let caller = Mutex<Identity?>(nil)

    /// Creates the trace of a request.
    public init(requestID: String) { self.requestID = requestID }

    /// The authenticated caller, set by the authentication middleware.
    public var identity: Identity? {
        get { caller.withLock { $0 } }
        set { caller.withLock { $0 = newValue } }
    }
}
