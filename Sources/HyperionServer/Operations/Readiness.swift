import HyperionStorage

/// A named check `/ready` runs; it throws (with a short, safe message) when its component is not ready.
public struct ReadinessCheck: Sendable {
    /// Name shown in the readiness answer, e.g. `store`.
    public let name: String
    /// The check itself.
    public let run: @Sendable () async throws -> Void
    /// Whether a failure makes the instance not ready (503). A component the server can work without (Redis) only
    /// degrades it: `/ready` stays 200 with status `degraded` and says why.
    public let critical: Bool

    /// Creates a check.
    public init(name: String, critical: Bool = true, run: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.critical = critical
        self.run = run
    }

    /// The store answers a query.
    static func store(_ store: Store) -> ReadinessCheck {
        ReadinessCheck(name: "store") { try await store.ping() }
    }

    /// Every migration this build knows is applied.
    static func migrations(_ migrator: Migrator) -> ReadinessCheck {
        ReadinessCheck(name: "migrations") {
            guard try await migrator.isCurrent() else { throw ReadinessFailure("migrations pending: run 'hyperion migrate'") }
        }
    }
}

/// A readiness failure with a message safe to return.
public struct ReadinessFailure: Error, CustomStringConvertible {
    /// Why the component is not ready.
    public let description: String
    /// Creates a failure.
    public init(_ description: String) { self.description = description }
}
