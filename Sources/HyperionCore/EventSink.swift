import Foundation

/// Where security-relevant events (sign-ups, logins, role changes…) go. The embedded default is the store's audit
/// table; a transactional outbox to Kafka implements it to stream them. `EventSinkConformance` (HyperionConformance)
/// is what proves an implementation right.
public protocol EventSink: Sendable {
    /// Records one event durably; throws when it could not.
    func record(_ event: AuditEvent) async throws
}

/// The in-memory twin of an event sink: keeps what it is given, in order.
public actor InMemoryEventSink: EventSink {
    /// Every event recorded, oldest first.
    public private(set) var events: [AuditEvent] = []

    /// Creates an empty sink.
    public init() {}

    public func record(_ event: AuditEvent) async throws { events.append(event) }
}
