import Foundation

/// A refresh token as stored: only the SHA-256 of the opaque token is kept.
public struct RefreshTokenRecord: Sendable, Equatable {
    /// Row id.
    public var id: UUID
    /// Owner.
    public var userID: UUID
    /// All tokens descending from one login share a family; reuse revokes the family.
    public var familyID: UUID
    /// Hex SHA-256 of the token.
    public var tokenHash: String
    /// Issue time.
    public var createdAt: Date
    /// Expiry time.
    public var expiresAt: Date
    /// When it was exchanged for a new pair (single use).
    public var usedAt: Date?
    /// When it was revoked (logout, reuse, password change, disable).
    public var revokedAt: Date?

    /// Creates a record.
    public init(id: UUID = UUID(), userID: UUID, familyID: UUID, tokenHash: String, createdAt: Date = Date(), expiresAt: Date, usedAt: Date? = nil, revokedAt: Date? = nil) {
        self.id = id
        self.userID = userID
        self.familyID = familyID
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.revokedAt = revokedAt
    }
}

/// An API key as stored: the key itself is shown once and kept only as a hash.
public struct APIKeyRecord: Sendable, Equatable, Identifiable {
    /// Row id.
    public var id: UUID
    /// Owner; the key acts with the owner's role.
    public var userID: UUID
    /// Label given by the owner.
    public var name: String
    /// First characters of the key, to recognise it in lists.
    public var prefix: String
    /// Hex SHA-256 of the key.
    public var keyHash: String
    /// Creation time.
    public var createdAt: Date
    /// Last successful use.
    public var lastUsedAt: Date?
    /// Optional expiry.
    public var expiresAt: Date?
    /// Revocation time.
    public var revokedAt: Date?

    /// Creates a record.
    public init(id: UUID = UUID(), userID: UUID, name: String, prefix: String, keyHash: String, createdAt: Date = Date(), lastUsedAt: Date? = nil, expiresAt: Date? = nil, revokedAt: Date? = nil) {
        self.id = id
        self.userID = userID
        self.name = name
        self.prefix = prefix
        self.keyHash = keyHash
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }
}

/// Something that happened and an admin may need to see later.
public struct AuditEvent: Sendable, Equatable, Identifiable {
    /// Event types recorded by Hyperion.
    public enum Kind: String, Sendable, CaseIterable {
        case signup, loginSucceeded = "login_succeeded", loginFailed = "login_failed"
        case refreshReuseDetected = "refresh_reuse_detected", roleChanged = "role_changed"
        case userDisabled = "user_disabled", userEnabled = "user_enabled", userCreated = "user_created", userDeleted = "user_deleted"
        case passwordChanged = "password_changed", apiKeyCreated = "api_key_created", apiKeyRevoked = "api_key_revoked"
        case llmProviderAdded = "llm_provider_added", llmProviderChanged = "llm_provider_changed", llmProviderRemoved = "llm_provider_removed"
        case llmDefaultChanged = "llm_default_changed"
    }

    /// Row id.
    public var id: UUID
    /// What happened.
    public var kind: Kind
    /// The user it concerns, when known.
    public var userID: UUID?
    /// Who did it, when it was someone else (e.g. an admin).
    public var actorID: UUID?
    /// The email involved (login failures of unknown accounts have no user id).
    public var email: String?
    /// Client address.
    public var clientAddress: String?
    /// Short extra detail, never a secret.
    public var detail: String?
    /// When it happened.
    public var createdAt: Date

    /// Creates an event.
    public init(id: UUID = UUID(), kind: Kind, userID: UUID? = nil, actorID: UUID? = nil, email: String? = nil, clientAddress: String? = nil, detail: String? = nil, createdAt: Date = Date()) {
        self.id = id
        self.kind = kind
        self.userID = userID
        self.actorID = actorID
        self.email = email
        self.clientAddress = clientAddress
        self.detail = detail
        self.createdAt = createdAt
    }
}

/// Filters for the audit log.
public struct AuditFilter: Sendable, Equatable {
    /// Only this event type.
    public var kind: AuditEvent.Kind?
    /// Only events about this user.
    public var userID: UUID?
    /// Only events at or after this time.
    public var since: Date?
    /// Only events before this time.
    public var until: Date?

    /// Creates a filter.
    public init(kind: AuditEvent.Kind? = nil, userID: UUID? = nil, since: Date? = nil, until: Date? = nil) {
        self.kind = kind
        self.userID = userID
        self.since = since
        self.until = until
    }
}

/// Filters for the user list.
public struct UserFilter: Sendable, Equatable {
    /// Case-insensitive substring of the email.
    public var email: String?
    /// Only this role.
    public var role: Role?
    /// Only disabled (true) or enabled (false) users.
    public var isDisabled: Bool?

    /// Creates a filter.
    public init(email: String? = nil, role: Role? = nil, isDisabled: Bool? = nil) {
        self.email = email
        self.role = role
        self.isDisabled = isDisabled
    }
}
