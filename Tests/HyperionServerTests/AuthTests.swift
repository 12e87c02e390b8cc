import NIOConcurrencyHelpers
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
import HyperionServer
import Testing

@Suite("Accounts: signup, login, tokens")
struct AuthTests {
    @Test("the first account becomes admin, later ones user; the hash never leaves")
    func signupRoles() async throws {
        try await withTestApp { client in
            let first = try await client.signup("Admin@Example.com")
            #expect(first["role"] as? String == "admin")
            #expect(first["email"] as? String == "admin@example.com")
            #expect(first["password_hash"] == nil && first["password"] == nil)
            let second = try await client.json(.post, "/api/v1/auth/register", ["email": "u@example.com", "password": "12345678", "full_name": "U"])
            #expect(second.status == .created && second.body["role"] as? String == "user")
        }
    }

    @Test("the bearer scheme in any case, with surrounding blanks; anything else is 401")
    func credentialForms() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com")
            let token = try await client.login("a@example.com").access
            for (header, status) in [
                ("Bearer \(token)", HTTPResponse.Status.ok), ("bearer \(token)", .ok), ("BEARER \(token)  ", .ok),
                ("Bearer  \t\(token)\t ", .ok), ("Bearer", .unauthorized), ("Bearer   ", .unauthorized),
                ("Basic \(token)", .unauthorized), ("Bearerx \(token)", .unauthorized), ("Bearer \(token)x", .unauthorized),
                ("\(token)", .unauthorized), ("Beärer \(token)", .unauthorized),
            ] {
                let result = try await client.json(.get, "/api/v1/auth/me", headers: [.authorization: header])
                #expect(result.status == status, "\(header.prefix(12))…")
            }
            let keyed = try await client.json(.get, "/api/v1/auth/me", headers: [HTTPField.Name("X-API-Key")!: "  \t "])
            #expect(keyed.status == .unauthorized && keyed.body["code"] as? String == "not_authenticated")
        }
    }

    @Test("signup validates email and password, naming the field")
    func signupValidation() async throws {
        try await withTestApp { client in
            for (body, field) in [
                (["email": "not-an-email", "password": "12345678"], "email"),
                (["email": "a@b.c", "password": "short"], "password"),
                (["email": "a@b.c", "password": String(repeating: "é", count: 37)], "password"),
                (["email": "a@b.c"], "password"),
            ] as [([String: Any], String)] {
                let result = try await client.json(.post, "/api/v1/auth/signup", body)
                #expect(result.status == .unprocessableContent, "\(body)")
                #expect(result.body["field"] as? String == field)
            }
            let long = try await client.json(.post, "/api/v1/auth/signup", ["email": "a@b.c", "password": String(repeating: "x", count: 73)])
            #expect((long.body["detail"] as? String)?.contains("72 bytes") == true)
            try await client.signup("dup@example.com")
            let duplicate = try await client.json(.post, "/api/v1/auth/signup", ["email": "DUP@example.com", "password": "12345678"])
            #expect(duplicate.status == .conflict)
        }
    }

    @Test("signup can be switched off, but never for the first account")
    func signupDisabled() async throws {
        try await withTestApp(["auth.signup_enabled": "false"]) { client in
            try await client.signup("admin@example.com")
            let second = try await client.json(.post, "/api/v1/auth/signup", ["email": "b@example.com", "password": "12345678"])
            #expect(second.status == .forbidden && second.body["code"] as? String == "signup_disabled")
            let token = try await client.login("admin@example.com").access
            let created = try await client.json(.post, "/api/v1/users", ["email": "b@example.com", "password": "12345678"], token: token)
            #expect(created.status == .created)
        }
    }

    @Test("login with JSON or the OAuth2 form; unknown email and wrong password look the same")
    func login() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com")
            let tokens = try await client.login("a@example.com")
            #expect(!tokens.access.isEmpty && !tokens.refresh.isEmpty)
            let form = try await client.execute(
                uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "username=a%40example.com&password=correct+horse&grant_type=password")
            ) { ($0.status, $0.body.json) }
            #expect(form.0 == .ok && form.1["token_type"] as? String == "bearer" && form.1["expires_in"] as? Int == 900)
            let wrong = try await client.json(.post, "/api/v1/auth/login", ["email": "a@example.com", "password": "wrong password"])
            let unknown = try await client.json(.post, "/api/v1/auth/login", ["email": "nobody@example.com", "password": "wrong password"])
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(wrong.body["detail"] as? String == unknown.body["detail"] as? String)
            #expect(wrong.body["code"] as? String == unknown.body["code"] as? String)
        }
    }

    @Test("/auth/me needs a valid token; tampered, foreign-key and alg:none tokens are refused")
    func tokens() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com", password: "password1")
            let access = try await client.login("a@example.com", password: "password1").access
            #expect(try await client.json(.get, "/api/v1/auth/me", token: access).body["email"] as? String == "a@example.com")
            #expect(try await client.json(.get, "/api/v1/auth/me").status == .unauthorized)

            let parts = access.split(separator: ".").map(String.init)
            var payload = try #require(Data(base64URL: parts[1]))
            payload = Data(String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "\"role\":\"admin\"", with: "\"role\":\"user\"").utf8)
            let tampered = [parts[0], payload.base64URL, parts[2]].joined(separator: ".")
            let none = [Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URL, parts[1], ""].joined(separator: ".")
            let otherKey = try await TokenService.make(
                keys: SigningKeys.load(settings: try AuthSettings(reader: testReader(["auth.jwt_secret": String(repeating: "k", count: 40)])), dataDirectory: URL(fileURLWithPath: "/nonexistent")),
                settings: try AuthSettings(reader: testReader([:]))
            ).issue(for: .init(email: "a@example.com", role: .admin, passwordHash: "")).token
            for bad in [tampered, none, otherKey, access + "x", "garbage", "a.b.c"] {
                let result = try await client.json(.get, "/api/v1/auth/me", token: bad)
                #expect(result.status == .unauthorized, "accepted \(bad)")
                #expect(result.headers[.wwwAuthenticate] == "Bearer")
            }
        }
    }

    @Test("expired tokens are refused beyond the clock-skew leeway")
    func expiry() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-exp-\(UUID().uuidString)")
        let settings = try AuthSettings(reader: testReader(["auth.access_token_ttl": "60", "auth.clock_skew": "30"]))
        let tokens = await TokenService.make(keys: try SigningKeys.load(settings: settings, dataDirectory: dir), settings: settings)
        let user = HyperionCoreUser.sample
        let old = try await tokens.issue(for: user, now: Date().addingTimeInterval(-80)).token  // expired 20 s ago
        let older = try await tokens.issue(for: user, now: Date().addingTimeInterval(-100)).token  // expired 40 s ago
        #expect(await tokens.verify(old) != nil, "within the leeway")
        #expect(await tokens.verify(old, now: Date().addingTimeInterval(20)) == nil, "a remembered token still expires")
        #expect(await tokens.verify(older) == nil, "beyond the leeway")
        let future = try await tokens.issue(for: user, now: Date().addingTimeInterval(120)).token
        #expect(await tokens.verify(future) == nil, "issued in the future")
    }

    @Test("refresh rotates; presenting a used refresh token revokes the whole family")
    func refreshReuse() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com")
            let first = try await client.login("a@example.com")
            let rotated = try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": first.refresh])
            #expect(rotated.status == .ok)
            let second = try #require(rotated.body["refresh_token"] as? String)
            #expect(second != first.refresh)
            let reuse = try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": first.refresh])
            #expect(reuse.status == .unauthorized)
            let afterReuse = try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": second])
            #expect(afterReuse.status == .unauthorized, "the family was revoked")
            // Another login is a separate family and still works.
            let other = try await client.login("a@example.com")
            #expect(try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": other.refresh]).status == .ok)
        }
    }

    @Test("logout revokes the family, logout-all every session")
    func logout() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com")
            let one = try await client.login("a@example.com")
            let two = try await client.login("a@example.com")
            #expect(try await client.json(.post, "/api/v1/auth/logout", ["refresh_token": one.refresh]).status == .noContent)
            #expect(try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": one.refresh]).status == .unauthorized)
            #expect(try await client.json(.post, "/api/v1/auth/logout-all", token: two.access).status == .noContent)
            #expect(try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": two.refresh]).status == .unauthorized)
            // Every access token issued before is refused at once; a new sign-in works.
            #expect(try await client.json(.get, "/api/v1/auth/me", token: two.access).status == .unauthorized)
            let three = try await client.login("a@example.com")
            #expect(try await client.json(.get, "/api/v1/auth/me", token: three.access).status == .ok)
        }
    }

    @Test("changing the password checks the current one and signs out every session")
    func changePassword() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com", password: "old password")
            let tokens = try await client.login("a@example.com", password: "old password")
            let wrong = try await client.json(.post, "/api/v1/auth/me/password", ["current_password": "nope nope", "new_password": "new password"], token: tokens.access)
            #expect(wrong.status == .unprocessableContent && wrong.body["field"] as? String == "current_password")
            let ok = try await client.json(.post, "/api/v1/auth/me/password", ["current_password": "old password", "new_password": "new password"], token: tokens.access)
            #expect(ok.status == .noContent)
            #expect(try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": tokens.refresh]).status == .unauthorized)
            // The access token of the old session stops working too, not only its refresh token.
            #expect(try await client.json(.get, "/api/v1/auth/me", token: tokens.access).status == .unauthorized)
            let fresh = try await client.login("a@example.com", password: "new password")
            let patched = try await client.json(.patch, "/api/v1/auth/me", ["full_name": "  Ada  "], token: fresh.access)
            #expect(patched.body["full_name"] as? String == "Ada")
        }
    }

    @Test("more than 5 failed logins for one email answer 429 with Retry-After")
    func throttling() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com")
            for _ in 0..<5 {
                #expect(try await client.json(.post, "/api/v1/auth/login", ["email": "a@example.com", "password": "bad password"]).status == .unauthorized)
            }
            let blocked = try await client.json(.post, "/api/v1/auth/login", ["email": "a@example.com", "password": "correct horse"])
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 > 0)
            // Another account is not affected by this email's failures.
            try await client.signup("b@example.com")
            _ = try await client.login("b@example.com")
        }
    }
}

/// Hardening finding 4: 40 parallel wrong passwords all reached bcrypt (40 × 401, no 429): failures were counted
/// only after the password check.
@Suite("Login throttle")
struct LoginThrottleTests {
    /// A clock moved by hand.
    final class ManualClock: Sendable {
        private let now = NIOLockedValueBox(ContinuousClock.now)
        func read() -> ContinuousClock.Instant { now.withLockedValue { $0 } }
        func advance(_ by: Duration) { now.withLockedValue { $0 += by } }
    }

    @Test("a burst of parallel attempts lets at most the limit through")
    func parallelBurst() async {
        let throttle = LoginThrottle(perEmail: 5, perAddress: 20)
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<40 { group.addTask { await throttle.beginAttempt(email: "a@x.org", address: "1.2.3.4") == nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 5)
        // Per address: 20 different emails, then the 21st is refused too.
        let other = LoginThrottle(perEmail: 5, perAddress: 20)
        for i in 0..<20 { #expect(await other.beginAttempt(email: "u\(i)@x.org", address: "5.6.7.8") == nil) }
        #expect(await other.beginAttempt(email: "new@x.org", address: "5.6.7.8") != nil)
    }

    @Test("a success takes its own attempt back and clears the email; the window expires")
    func successAndWindow() async {
        let clock = ManualClock()
        let throttle = LoginThrottle(limiter: InMemoryRateLimiter(clock: clock.read), perEmail: 2, perAddress: 3, window: .seconds(60))
        #expect(await throttle.beginAttempt(email: "a", address: "ip") == nil)
        #expect(await throttle.beginAttempt(email: "a", address: "ip") == nil)
        #expect(await throttle.beginAttempt(email: "a", address: "ip") == 60)
        // Another email on the same address: one attempt left there (two counted), and a success gives it back.
        #expect(await throttle.beginAttempt(email: "b", address: "ip") == nil)
        await throttle.recordSuccess(email: "b", address: "ip")
        #expect(await throttle.beginAttempt(email: "c", address: "ip") == nil)
        #expect(await throttle.beginAttempt(email: "d", address: "ip") != nil)
        clock.advance(.seconds(61))
        #expect(await throttle.beginAttempt(email: "a", address: "other") == nil, "the window moved on")
    }

    @Test("parallel wrong passwords over HTTP answer 429 beyond the limit")
    func parallelOverHTTP() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await client.json(.post, "/api/v1/auth/login", ["email": "a@example.com", "password": "bad password"]).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 5)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 7)
        }
    }
}

enum HyperionCoreUser {
    static let sample = HyperionCore.User(email: "s@example.com", role: .user, passwordHash: "")
}

import HyperionCore

extension Data {
    init?(base64URL text: String) {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        self.init(base64Encoded: base)
    }

    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
