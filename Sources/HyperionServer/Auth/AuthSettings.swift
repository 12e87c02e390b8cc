import Configuration
import HyperionCore

/// Account and token settings.
///
/// Keys: `auth.signup_enabled`, `auth.bcrypt_cost`, `auth.access_token_ttl`, `auth.refresh_token_ttl`,
/// `auth.jwt_secret` (secret), `auth.jwt_previous_secrets` (secret), `auth.issuer`, `auth.clock_skew`,
/// `auth.signups_per_hour`.
public struct AuthSettings: Sendable {
    /// Whether anyone may sign up (the first account always may: it becomes admin).
    public var signupEnabled: Bool
    /// bcrypt cost; never below 10.
    public var bcryptCost: Int
    /// Access token lifetime in seconds.
    public var accessTokenTTL: Int
    /// Refresh token lifetime in seconds.
    public var refreshTokenTTL: Int
    /// Configured signing secret; when nil one is generated into the data directory.
    public var jwtSecret: String?
    /// Earlier secrets still accepted for verification (rotation).
    public var previousSecrets: [String]
    /// `iss` claim.
    public var issuer: String
    /// Clock skew tolerated when checking `exp` and `iat`, in seconds.
    public var clockSkew: Int
    /// Signups allowed per client address per hour (each costs a bcrypt hash); 0 = unlimited.
    public var signupsPerHour: Int

    /// Reads and validates the `auth.*` keys.
    public init(reader: ConfigReader) throws {
        signupEnabled = try Setting.signupEnabled.read(reader)
        bcryptCost = try Setting.bcryptCost.read(reader)
        accessTokenTTL = try Setting.accessTokenTTL.read(reader)
        refreshTokenTTL = try Setting.refreshTokenTTL.read(reader)
        jwtSecret = reader.string(forKey: "auth.jwt_secret", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        previousSecrets = reader.stringList("auth.jwt_previous_secrets")
        issuer = try Setting.issuer.read(reader)
        clockSkew = try Setting.clockSkew.read(reader)
        signupsPerHour = try Setting.signupsPerHour.read(reader)
        for (key, secret) in [("auth.jwt_secret", jwtSecret)] + previousSecrets.map({ ("auth.jwt_previous_secrets", $0) }) {
            if let secret, secret.utf8.count < 32 {
                throw HyperionError.invalid(key, "must be at least 32 bytes long")
            }
        }
    }
}
