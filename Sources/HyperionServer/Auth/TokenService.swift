import Foundation
import HyperionCore
import JWTKit

/// The claims of an access token.
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var role: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var iss: IssuerClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        // Expiry and issue time are checked in TokenService, which knows the allowed clock skew.
    }
}

/// Signs and verifies HS256 access tokens. Previous keys keep verifying, selected by `kid`.
public struct TokenService: Sendable {
    let keys: JWTKeyCollection
    let issuer: String
    let ttl: Int
    let skew: TimeInterval

    /// The verified content of an access token.
    public struct Verified: Sendable {
        /// The user id.
        public let userID: UUID
        /// The role at issue time (the live role is checked per request).
        public let role: Role
        /// Token id.
        public let tokenID: String
    }

    /// Builds the key collection from `keys`.
    public static func make(keys: SigningKeys, settings: AuthSettings) async -> TokenService {
        let collection = JWTKeyCollection()
        await collection.add(hmac: HMACKey(from: keys.current.secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: keys.current.kid))
        for key in keys.previous {
            await collection.add(hmac: HMACKey(from: key.secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.kid))
        }
        return TokenService(keys: collection, currentKid: keys.current.kid, issuer: settings.issuer, ttl: settings.accessTokenTTL, skew: TimeInterval(settings.clockSkew))
    }

    let currentKid: String

    init(keys: JWTKeyCollection, currentKid: String, issuer: String, ttl: Int, skew: TimeInterval) {
        self.keys = keys
        self.currentKid = currentKid
        self.issuer = issuer
        self.ttl = ttl
        self.skew = skew
    }

    /// Issues an access token for `user`; returns the token and its lifetime in seconds.
    public func issue(for user: User, now: Date = Date()) async throws -> (token: String, expiresIn: Int) {
        let claims = AccessClaims(
            sub: SubjectClaim(value: user.id.uuidString.lowercased()), role: user.role.rawValue,
            iat: IssuedAtClaim(value: now), exp: ExpirationClaim(value: now.addingTimeInterval(TimeInterval(ttl))),
            jti: IDClaim(value: UUID().uuidString.lowercased()), iss: IssuerClaim(value: issuer)
        )
        return (try await keys.sign(claims, kid: JWKIdentifier(string: currentKid)), ttl)
    }

    /// Verifies signature, algorithm, issuer, expiry and issue time; nil when any check fails.
    public func verify(_ token: String, now: Date = Date()) async -> Verified? {
        guard let claims = try? await keys.verify(token, as: AccessClaims.self) else { return nil }
        guard claims.iss.value == issuer,
              now.addingTimeInterval(-skew) < claims.exp.value,
              claims.iat.value <= now.addingTimeInterval(skew),
              let id = UUID(uuidString: claims.sub.value),
              let role = Role(rawValue: claims.role)
        else { return nil }
        return Verified(userID: id, role: role, tokenID: claims.jti.value)
    }
}
