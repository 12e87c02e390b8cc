import Crypto
import Foundation
import HyperionCore
import HyperionStorage

/// A fresh access + refresh token pair.
public struct TokenPair: Sendable {
    /// JWT access token.
    public let accessToken: String
    /// Access token lifetime in seconds.
    public let expiresIn: Int
    /// Opaque refresh token (shown once).
    public let refreshToken: String
}

/// Account rules: signup, login, token rotation with reuse detection, API keys, user administration.
/// It knows the store and the token machinery, never HTTP.
public struct AuthService: Sendable {
    let store: Store
    let settings: AuthSettings
    let hasher: PasswordHasher
    let tokens: TokenService
    let throttle: LoginThrottle
    let cache: UserStateCache
    /// Where security events go (the audit table by default).
    let events: any EventSink
    /// Counts signups per client address (and, through ``throttle``, failed logins); shared by the instances with Redis.
    let limiter: any RateLimiter
    /// Tells every instance (this one included) that a user changed, so their cached state and tokens are checked again.
    let bus: any ClusterBus

    /// Creates the service. Without a `limiter` or `bus`, counting and broadcasting stay in this process.
    public init(store: Store, settings: AuthSettings, hasher: PasswordHasher, tokens: TokenService, throttle: LoginThrottle? = nil, cache: UserStateCache,
                events: (any EventSink)? = nil, limiter: (any RateLimiter)? = nil, bus: (any ClusterBus)? = nil) {
        let limiter = limiter ?? throttle?.limiter ?? InMemoryRateLimiter()
        self.limiter = limiter
        self.bus = bus ?? LocalClusterBus()
        self.store = store
        self.events = events ?? store.audit
        self.settings = settings
        self.hasher = hasher
        self.tokens = tokens
        self.throttle = throttle ?? LoginThrottle(limiter: limiter)
        self.cache = cache
    }

    // MARK: Validation

    static func normalizedEmail(_ raw: String) throws -> String {
        let email = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              email.unicodeScalars.allSatisfy({ !CharacterSet.whitespacesAndNewlines.contains($0) && !CharacterSet.controlCharacters.contains($0) })
        else { throw HyperionError.invalid("email", "is not a valid email address") }
        return email
    }

    static func validatePassword(_ password: String, field: String = "password") throws {
        let bytes = password.utf8.count
        guard bytes >= 8 else { throw HyperionError.invalid(field, "must be at least 8 bytes long") }
        guard bytes <= 72 else {
            throw HyperionError.invalid(field, "must be at most 72 bytes long (bcrypt ignores anything longer)")
        }
    }

    static func validateFullName(_ name: String?) throws -> String? {
        guard let name else { return nil }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= 200 else { throw HyperionError.invalid("full_name", "must be at most 200 characters") }
        guard !trimmed.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw HyperionError.invalid("full_name", "must not contain control characters")
        }
        return trimmed.isEmpty ? nil : trimmed
    }

    // MARK: Accounts

    /// Self-service signup. The first account of an empty install becomes admin.
    public func signup(email: String, password: String, fullName: String?, clientAddress: String?) async throws -> User {
        let email = try Self.normalizedEmail(email)
        try Self.validatePassword(password)
        let fullName = try Self.validateFullName(fullName)
        let signupEnabled = settings.signupEnabled
        let refused = HyperionError(.forbidden, code: "signup_disabled", message: "signup is disabled; ask an administrator for an account")
        // Cheap early refusal before paying for the hash; the decision that counts is made again below.
        if !signupEnabled, try await store.users.count() > 0 { throw refused }
        // Each signup costs a bcrypt hash: one address may not queue them by the dozen.
        if settings.signupsPerHour > 0,
           case let decision = await limiter.admit([RateLimitRule(key: "signup-address:" + (clientAddress ?? "unknown"), limit: settings.signupsPerHour,
                                                                  window: .seconds(3600))]),
           !decision.allowed, let wait = decision.retryAfter {
            throw HyperionError(.tooManyRequests, code: "too_many_signups", message: "too many signups from this address; try again in \(wait) seconds",
                                retryAfter: wait)
        }
        let hash = try await hasher.hash(password)
        let user = try await store.users.createCountingFirst { isFirst in
            guard isFirst || signupEnabled else { throw refused }
            return User(email: email, fullName: fullName, role: isFirst ? .admin : .user, passwordHash: hash)
        }
        try await events.record(AuditEvent(kind: .signup, userID: user.id, email: email, clientAddress: clientAddress, detail: "role=\(user.role.rawValue)"))
        return user
    }

    /// An admin (or the CLI) creates an account with a chosen role, whatever the signup setting.
    public func createUser(email: String, password: String, fullName: String?, role: Role, actorID: UUID?) async throws -> User {
        let email = try Self.normalizedEmail(email)
        try Self.validatePassword(password)
        let fullName = try Self.validateFullName(fullName)
        let hash = try await hasher.hash(password)
        let user = try await store.users.create(User(email: email, fullName: fullName, role: role, passwordHash: hash))
        try await events.record(AuditEvent(kind: .userCreated, userID: user.id, actorID: actorID, email: email, detail: "role=\(role.rawValue)"))
        return user
    }

    /// Password login. Unknown email, wrong password and a disabled account give the same 401 in about the same
    /// time (a different answer for a disabled account would tell whether a guessed password was right).
    public func login(email rawEmail: String, password: String, clientAddress: String) async throws -> TokenPair {
        let email = rawEmail.trimmingCharacters(in: .whitespaces).lowercased()
        if let wait = await throttle.beginAttempt(email: email, address: clientAddress) {
            throw HyperionError(.tooManyRequests, code: "too_many_attempts", message: "too many failed logins; try again in \(wait) seconds", retryAfter: wait)
        }
        let user = try await store.users.find(email: email)
        let matches = try await hasher.verify(password, hash: user?.passwordHash)
        guard let user, matches, !user.isDisabled else {
            try await events.record(AuditEvent(kind: .loginFailed, userID: user?.id, email: String(email.prefix(254)), clientAddress: clientAddress,
                                                    detail: user?.isDisabled == true ? "account disabled" : nil))
            throw HyperionError(.unauthorized, code: "invalid_credentials", message: "incorrect email or password")
        }
        await throttle.recordSuccess(email: email, address: clientAddress)
        try await events.record(AuditEvent(kind: .loginSucceeded, userID: user.id, email: email, clientAddress: clientAddress))
        return try await issuePair(for: user, family: UUID())
    }

    /// Exchanges a refresh token for a new pair. A token presented twice revokes its whole family.
    public func refresh(_ token: String, clientAddress: String?) async throws -> TokenPair {
        let invalid = HyperionError(.unauthorized, code: "invalid_refresh_token", message: "the refresh token is invalid, expired or revoked")
        guard let record = try await store.refreshTokens.find(hash: Self.sha256(token)) else { throw invalid }
        if record.usedAt != nil && record.revokedAt == nil {
            try await revokeReusedFamily(record, clientAddress: clientAddress)
            throw invalid
        }
        guard record.revokedAt == nil, record.expiresAt > Date() else { throw invalid }
        guard try await store.refreshTokens.consume(id: record.id) else {
            // Lost a race with a concurrent use of the same token: that is reuse too.
            try await revokeReusedFamily(record, clientAddress: clientAddress)
            throw invalid
        }
        guard let user = try await store.users.find(id: record.userID), !user.isDisabled else { throw invalid }
        return try await issuePair(for: user, family: record.familyID)
    }

    private func revokeReusedFamily(_ record: RefreshTokenRecord, clientAddress: String?) async throws {
        try await store.refreshTokens.revokeFamily(record.familyID)
        try await events.record(AuditEvent(kind: .refreshReuseDetected, userID: record.userID, clientAddress: clientAddress, detail: "family revoked"))
    }

    /// Revokes the family of a refresh token. Unknown tokens are ignored (logout is idempotent).
    public func logout(refreshToken: String) async throws {
        if let record = try await store.refreshTokens.find(hash: Self.sha256(refreshToken)) {
            try await store.refreshTokens.revokeFamily(record.familyID)
        }
    }

    /// Revokes every refresh token of a user.
    /// Revokes every refresh token of a user and, by moving their session epoch on, every access token.
    public func logoutAll(userID: UUID) async throws {
        try await store.refreshTokens.revokeAll(userID: userID)
        try await store.users.advanceSessionEpoch(id: userID)
        await userChanged(userID)
    }

    /// Drops this instance's cached state of a user and tells the other instances to do the same.
    func userChanged(_ id: UUID) async {
        cache.invalidate(id)
        await bus.publish(.userChanged(id))
    }

    /// Changes the caller's password after checking the current one; signs out every session.
    public func changePassword(user: User, current: String, new: String) async throws {
        try Self.validatePassword(new, field: "new_password")
        guard try await hasher.verify(current, hash: user.passwordHash) else {
            throw HyperionError.invalid("current_password", "is incorrect")
        }
        var updated = user
        updated.passwordHash = try await hasher.hash(new)
        try await store.users.update(updated)
        try await store.refreshTokens.revokeAll(userID: user.id)
        try await store.users.advanceSessionEpoch(id: user.id)
        await userChanged(user.id)
        try await events.record(AuditEvent(kind: .passwordChanged, userID: user.id))
    }

    /// Sets a new password without the old one (an admin, or the CLI with no actor); signs out every session.
    public func resetPassword(userID: UUID, new: String, actorID: UUID? = nil) async throws {
        try Self.validatePassword(new, field: "new_password")
        guard var user = try await store.users.find(id: userID) else { throw HyperionError.notFound("user") }
        user.passwordHash = try await hasher.hash(new)
        try await store.users.update(user)
        try await store.refreshTokens.revokeAll(userID: userID)
        try await store.users.advanceSessionEpoch(id: userID)
        await userChanged(userID)
        try await events.record(AuditEvent(kind: .passwordChanged, userID: userID, actorID: actorID, email: user.email, detail: "reset"))
    }

    /// Updates the caller's own profile.
    public func updateProfile(user: User, fullName: String?) async throws -> User {
        var updated = user
        updated.fullName = try Self.validateFullName(fullName)
        let saved = try await store.users.update(updated)
        await userChanged(user.id)
        return saved
    }

    // MARK: Administration

    /// Changes role, disabled flag or name of a user. The last active admin cannot be demoted or disabled.
    public func updateUser(id: UUID, role: Role?, isDisabled: Bool?, fullName: String??, actorID: UUID) async throws -> User {
        guard let before = try await store.users.find(id: id) else { throw HyperionError.notFound("user") }
        var user = before
        let wasActiveAdmin = user.role == .admin && !user.isDisabled
        if let role { user.role = role }
        if let isDisabled { user.isDisabled = isDisabled }
        if let fullName { user.fullName = try Self.validateFullName(fullName) }
        let staysActiveAdmin = user.role == .admin && !user.isDisabled
        if wasActiveAdmin && !staysActiveAdmin, try await store.users.activeAdminCount() <= 1 {
            throw HyperionError(.conflict, code: "last_admin", message: "the last active admin cannot be demoted or disabled")
        }
        let saved = try await store.users.update(user)
        await userChanged(id)
        if before.role != saved.role {
            try await events.record(AuditEvent(kind: .roleChanged, userID: id, actorID: actorID, detail: "\(before.role.rawValue)->\(saved.role.rawValue)"))
        }
        if before.isDisabled != saved.isDisabled {
            if saved.isDisabled {
                try await store.refreshTokens.revokeAll(userID: id)
                try await store.apiKeys.revokeAll(userID: id)
            }
            try await events.record(AuditEvent(kind: saved.isDisabled ? .userDisabled : .userEnabled, userID: id, actorID: actorID))
        }
        return saved
    }

    /// Deletes a user. The last active admin cannot be deleted.
    public func deleteUser(id: UUID, actorID: UUID?) async throws {
        guard let user = try await store.users.find(id: id) else { throw HyperionError.notFound("user") }
        if user.role == .admin && !user.isDisabled, try await store.users.activeAdminCount() <= 1 {
            throw HyperionError(.conflict, code: "last_admin", message: "the last active admin cannot be deleted")
        }
        _ = try await store.users.delete(id: id)
        await userChanged(id)
        try await events.record(AuditEvent(kind: .userDeleted, userID: id, actorID: actorID, email: user.email))
    }

    // MARK: API keys

    /// Creates an API key; the returned string is shown once and stored only as a hash.
    public func createAPIKey(user: User, name: String, expiresAt: Date?) async throws -> (APIKeyRecord, String) {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw HyperionError.invalid("name", "must be 1 to 100 characters") }
        if let expiresAt, expiresAt <= Date() { throw HyperionError.invalid("expires_at", "must be in the future") }
        let key = "hyp_" + Self.randomToken()
        let record = APIKeyRecord(userID: user.id, name: name, prefix: String(key.prefix(12)), keyHash: Self.sha256(key), expiresAt: expiresAt)
        try await store.apiKeys.insert(record)
        try await events.record(AuditEvent(kind: .apiKeyCreated, userID: user.id, detail: "prefix=\(record.prefix)"))
        return (record, key)
    }

    /// Revokes one of the user's keys.
    public func revokeAPIKey(id: UUID, user: User) async throws {
        guard try await store.apiKeys.revoke(id: id, userID: user.id) else { throw HyperionError.notFound("API key") }
        try await events.record(AuditEvent(kind: .apiKeyRevoked, userID: user.id, detail: "key=\(id.lowercasedString)"))
    }

    /// One page of the user's API keys.
    func apiKeys(of user: User, page: PageRequest) async throws -> Page<APIKeyRecord> {
        try await store.apiKeys.list(userID: user.id, page: page)
    }

    // MARK: Administration reads

    /// One page of users matching `filter`.
    func users(_ filter: UserFilter, page: PageRequest) async throws -> Page<User> {
        try await store.users.list(page, filter: filter)
    }

    /// A user by id, or 404.
    func user(_ id: UUID) async throws -> User {
        guard let user = try await store.users.find(id: id) else { throw HyperionError.notFound("user") }
        return user
    }

    /// One page of audit events matching `filter`, newest first.
    func auditEvents(_ filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        try await store.audit.list(filter, page: page)
    }

    /// Whether no account exists yet (the first to sign up becomes admin).
    func isFirstRun() async throws -> Bool {
        try await store.users.count() == 0
    }

    // MARK: Authentication

    /// Resolves a bearer credential (JWT or `hyp_` key) to the caller, checking the user's live state.
    public func authenticate(credential: String) async throws -> Identity? {
        if credential.hasPrefix("hyp_") {
            guard let key = try await store.apiKeys.find(hash: Self.sha256(credential)), key.revokedAt == nil,
                  key.expiresAt.map({ $0 > Date() }) ?? true,
                  let user = try await liveUser(key.userID)
            else { return nil }
            // Record use at most once a minute: a write per request would make every keyed call a store write.
            if key.lastUsedAt.map({ Date().timeIntervalSince($0) > 60 }) ?? true {
                try await store.apiKeys.touch(id: key.id)
            }
            return Identity(user: user, credential: .apiKey(key.id))
        }
        guard let verified = await tokens.verify(credential), let user = try await liveUser(verified.userID),
              verified.sessionEpoch == user.sessionEpoch else { return nil }
        return Identity(user: user, credential: .accessToken)
    }

    private func liveUser(_ id: UUID) async throws -> User? {
        let user = try await cache.user(id) { try await store.users.find(id: id) }
        guard let user, !user.isDisabled else { return nil }
        return user
    }

    // MARK: Tokens

    func issuePair(for user: User, family: UUID) async throws -> TokenPair {
        let access = try await tokens.issue(for: user)
        let refresh = Self.randomToken()
        try await store.refreshTokens.insert(RefreshTokenRecord(
            userID: user.id, familyID: family, tokenHash: Self.sha256(refresh),
            expiresAt: Date().addingTimeInterval(TimeInterval(settings.refreshTokenTTL))
        ))
        return TokenPair(accessToken: access.token, expiresIn: access.expiresIn, refreshToken: refresh)
    }

    /// 256 random bits, base64url without padding.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Lower-case hex SHA-256.
    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).lowercaseHex
    }
}
