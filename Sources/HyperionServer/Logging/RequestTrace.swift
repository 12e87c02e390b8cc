import Synchronization

/// What one request's log lines say about it: its id, its trace and, once authenticated, the caller.
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
    private let trace: Mutex<String?>

    /// Creates the trace of a request, in the trace `traceID` when its caller sent one.
    public init(requestID: String, traceID: String? = nil) {
        self.requestID = requestID
        trace = Mutex(traceID)
    }

    /// The W3C trace id (32 hex digits): the request span's when tracing is on, else the caller's `traceparent`'s.
    public var traceID: String? {
        get { trace.withLock { $0 } }
        set { trace.withLock { $0 = newValue } }
    }

    /// The trace id and parent (span) id of a W3C `traceparent` (`00-<32 hex trace id>-<16 hex parent id>-<2 hex
    /// flags>`), nil when malformed.
    public static func ids(ofTraceparent value: some StringProtocol) -> (traceID: String, parentID: String)? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff", isHex(parts[0]), isTraceID(parts[1]),
              parts[2].count == 16, isHex(parts[2]), parts[2] != "0000000000000000", parts[3].count == 2, isHex(parts[3])
        else { return nil }
        return (String(parts[1]), String(parts[2]))
    }

    /// Whether `value` is a valid trace id: 32 lowercase hex digits, not all zero.
    public static func isTraceID(_ value: some StringProtocol) -> Bool {
        value.utf8.count == 32 && isHex(value) && value.utf8.contains { $0 != 0x30 }
    }

    private static func isHex(_ value: some StringProtocol) -> Bool {
        value.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// The authenticated caller, set by the authentication middleware.
    public var identity: Identity? {
        get { caller.withLock { $0 } }
        set { caller.withLock { $0 = newValue } }
    }
}
