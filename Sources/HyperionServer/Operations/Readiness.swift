import HyperionStorage

/// A named check `/ready` runs; it throws (with a short, safe message) when its component is not ready.
public struct ReadinessCheck: Sendable {
    /// Name shown in the readiness answer, e.g. `store`.
    public let name: String
    /// The check itself.
    public let run: @Sendable () async throws -> Void

    /// Creates a check.
    public init(name: String, run: @escaping @Sendable () async throws -> Void) {
        self.name = name
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
