import Foundation
import HyperionCore
import NIOConcurrencyHelpers

/// Who is calling: the user behind a valid access token or API key.
public struct Identity: Sendable, Equatable {
    /// How the caller proved who they are.
    public enum Credential: Sendable, Equatable {
        /// A JWT access token.
        case accessToken
        /// An API key (with its id).
        case apiKey(UUID)
    }

    /// The user, in their current state.
    public let user: User
    /// The credential used.
    public let credential: Credential

    /// Whether the caller may use admin routes.
    public var isAdmin: Bool { user.role == .admin }
}

/// Users by id for a few seconds, so each authenticated request need not read the store; any change
/// to a user invalidates its entry at once, so a disabled user's live token stops working immediately
/// on this instance, and on the others as soon as the cluster bus carries the change (Redis pub/sub; without Redis
/// there is one instance, or the others notice within ``ttl``).
public final class UserStateCache: Sendable {
    /// How long an entry is trusted.
    public let ttl: TimeInterval
    private let entries = NIOLockedValueBox<[UUID: (User, Date)]>([:])

    /// Creates a cache.
    public init(ttl: TimeInterval = 10) { self.ttl = ttl }

    /// The cached user, or `load()` stored for next time.
    public func user(_ id: UUID, load: () async throws -> User?) async throws -> User? {
        let now = Date()
        if let (user, at) = entries.withLockedValue({ $0[id] }), now.timeIntervalSince(at) < ttl { return user }
        guard let user = try await load() else {
            invalidate(id)
            return nil
        }
        entries.withLockedValue { entries in
            if entries.count > 50_000 { entries.removeAll() }
            entries[id] = (user, now)
        }
        return user
    }

    /// Drops every entry (changes may have been missed).
    public func removeAll() {
        entries.withLockedValue { $0.removeAll() }
    }

    /// Drops a user's entry after a change.
    public func invalidate(_ id: UUID) {
        _ = entries.withLockedValue { $0.removeValue(forKey: id) }
    }
}
