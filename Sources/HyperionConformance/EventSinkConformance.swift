import Foundation
import HyperionCore

/// Opens event sinks for ``EventSinkConformance``, with a way to read back what reached the sink's destination.
public struct EventSinkHarness: Sendable {
    let open: @Sendable () async throws -> any EventSink
    let recorded: @Sendable () async throws -> [AuditEvent]

    /// A harness over a sink factory and a reader of what was recorded (in any order).
    public init(open: @escaping @Sendable () async throws -> any EventSink, recorded: @escaping @Sendable () async throws -> [AuditEvent]) {
        self.open = open
        self.recorded = recorded
    }
}

/// What every ``EventSink`` must do: record each event exactly once with every field intact, also when many
/// are recorded at once.
public enum EventSinkConformance {
    /// Every check of the suite.
    public static let checks: [ConformanceCheck<EventSinkHarness>] = [
        .init("each event is recorded once with every field") { harness in
            let sink = try await harness.open()
            let user = UUID(), actor = UUID()
            let events = [
                AuditEvent(kind: .signup, userID: user, email: "a@example.com", clientAddress: "192.0.2.7", detail: "role=user"),
                AuditEvent(kind: .roleChanged, userID: user, actorID: actor, detail: "user->admin"),
                AuditEvent(kind: .loginFailed, userID: nil, email: "ünïcode@example.com", clientAddress: "2001:db8::1"),
            ]
            for event in events { try await sink.record(event) }
            let recorded = try await harness.recorded()
            try expectEqual(recorded.count, 3, "events recorded")
            for event in events {
                guard let found = recorded.first(where: { $0.id == event.id }) else { throw ConformanceFailure(message: "event \(event.kind) lost", line: #line) }
                try expectEqual(found.kind, event.kind, "kind")
                try expectEqual(found.userID, event.userID, "user")
                try expectEqual(found.actorID, event.actorID, "actor")
                try expectEqual(found.email, event.email, "email")
                try expectEqual(found.clientAddress, event.clientAddress, "client address")
                try expectEqual(found.detail, event.detail, "detail")
                try expect(abs(found.createdAt.timeIntervalSince(event.createdAt)) < 0.001, "time \(found.createdAt) vs \(event.createdAt)")
            }
        },
        .init("concurrent events are all recorded") { harness in
            let events = (0..<50).map { AuditEvent(kind: .loginSucceeded, userID: UUID(), detail: "n=\($0)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for part in 0..<5 {
                    group.addTask {
                        let sink = try await harness.open()
                        for event in events[(part * 10)..<(part * 10 + 10)] { try await sink.record(event) }
                    }
                }
                try await group.waitForAll()
            }
            try expectEqual(Set(try await harness.recorded().map(\.id)), Set(events.map(\.id)), "events recorded")
        },
    ]
}
