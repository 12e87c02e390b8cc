import Foundation
import HyperionCore
import JWTKit
import NIOConcurrencyHelpers

/// The claims of an access token.
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var role: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var iss: IssuerClaim
    /// The user's session epoch at issue time (absent in tokens of earlier versions: epoch 0).
    var sep: Int?

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
        /// The user's session epoch when the token was issued.
        public let sessionEpoch: Int
    }

    /// Builds the key collection from `keys`.
    public static func make(keys: SigningKeys, settings: AuthSettings) async -> TokenService {
        let collection = JWTKeyCollection()
        await collection.add(hmac: HMACKey(from: keys.current.secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: keys.current.kid))
        for key in keys.previous {
            await collection.add(hmac: HMACKey(from: key.secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.kid))
        }
        return TokenService(keys: collection, currentKid: keys.current.kid, knownKids: Set([keys.current.kid] + keys.previous.map(\.kid)),
                            issuer: settings.issuer, ttl: settings.accessTokenTTL, skew: TimeInterval(settings.clockSkew))
    }

    let currentKid: String
    /// Key ids of every configured key: a token naming another (or none) is refused before its signature is
    /// checked. JWTKit would otherwise verify a token with an unknown `kid` against its default key.
    let knownKids: Set<String>
    /// Tokens whose signature and claims were already checked, with their expiry. A client sends the same
    /// token many times; re-verifying the HMAC and re-parsing the JSON each time was most of `/auth/me`.
    private let verified = VerifiedTokenCache()

    init(keys: JWTKeyCollection, currentKid: String, knownKids: Set<String>, issuer: String, ttl: Int, skew: TimeInterval) {
        self.keys = keys
        self.currentKid = currentKid
        self.knownKids = knownKids
        self.issuer = issuer
        self.ttl = ttl
        self.skew = skew
    }

    /// Issues an access token for `user`; returns the token and its lifetime in seconds.
    public func issue(for user: User, now: Date = Date()) async throws -> (token: String, expiresIn: Int) {
        let claims = AccessClaims(
            sub: SubjectClaim(value: user.id.lowercasedString), role: user.role.rawValue,
            iat: IssuedAtClaim(value: now), exp: ExpirationClaim(value: now.addingTimeInterval(TimeInterval(ttl))),
            jti: IDClaim(value: UUID().lowercasedString), iss: IssuerClaim(value: issuer), sep: user.sessionEpoch == 0 ? nil : user.sessionEpoch
        )
        return (try await keys.sign(claims, kid: JWKIdentifier(string: currentKid)), ttl)
    }

    /// Verifies signature, algorithm, issuer, expiry and issue time; nil when any check fails.
    public func verify(_ token: String, now: Date = Date()) async -> Verified? {
        if let (hit, expiry) = verified.get(token) {
            return now.addingTimeInterval(-skew) < expiry ? hit : nil
        }
        guard let kid = Self.headerKid(token), knownKids.contains(kid),
              let claims = try? await keys.verify(token, as: AccessClaims.self) else { return nil }
        guard claims.iss.value == issuer,
              now.addingTimeInterval(-skew) < claims.exp.value,
              claims.iat.value <= now.addingTimeInterval(skew),
              let id = UUID(uuidString: claims.sub.value),
              let role = Role(rawValue: claims.role)
        else { return nil }
        let result = Verified(userID: id, role: role, tokenID: claims.jti.value, sessionEpoch: claims.sep ?? 0)
        // Only tokens already valid now are remembered, so a future-dated token is re-checked every time.
        verified.put(token, result, expiry: claims.exp.value)
        return result
    }
}

extension TokenService {
    /// The `kid` of a compact JWS's header, read without verifying anything; nil when absent or unreadable.
    static func headerKid(_ token: String) -> String? {
        guard let dot = token.firstIndex(of: "."), dot > token.startIndex, token.distance(from: token.startIndex, to: dot) <= 4096 else { return nil }
        var base64 = token[..<dot].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
              let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return header["kid"] as? String
    }
}

/// A bounded map from token to its verified content; cleared when full (entries are cheap to rebuild).
final class VerifiedTokenCache: Sendable {
    private let entries = NIOLockedValueBox<[String: (TokenService.Verified, Date)]>([:])
    static let capacity = 10_000

    func get(_ token: String) -> (TokenService.Verified, Date)? {
        entries.withLockedValue { $0[token] }
    }

    func put(_ token: String, _ value: TokenService.Verified, expiry: Date) {
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = (value, expiry)
        }
    }
}
