import Foundation

/// What a user may do.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Manages users and sees everything.
    case admin
    /// Works with their own and shared knowledge bases.
    case user
}

/// A person with an account. The password hash never leaves the store layer in responses.
public struct User: Sendable, Equatable, Identifiable {
    /// Stable id.
    public var id: UUID
    /// Lower-cased email, unique.
    public var email: String
    /// Optional display name.
    public var fullName: String?
    /// What the user may do.
    public var role: Role
    /// A disabled user cannot sign in.
    public var isDisabled: Bool
    /// bcrypt hash of the password.
    public var passwordHash: String
    /// Creation time (UTC).
    public var createdAt: Date
    /// Last change (UTC).
    public var updatedAt: Date
    /// Moved on by a password change or sign-out everywhere: access tokens issued in an earlier epoch are refused.
    public var sessionEpoch: Int

    /// Creates a user value.
    public init(
        id: UUID = UUID(), email: String, fullName: String? = nil, role: Role, isDisabled: Bool = false,
        passwordHash: String, createdAt: Date = Date(), updatedAt: Date = Date(), sessionEpoch: Int = 0
    ) {
        self.sessionEpoch = sessionEpoch
        self.id = id
        self.email = email
        self.fullName = fullName
        self.role = role
        self.isDisabled = isDisabled
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
