import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import HyperionServer
import HyperionCore
import Testing

@Suite("The web UI's cookie session and admin password resets")
struct SessionCookieTests {
    static let session = HTTPField.Name("X-Hyperion-Session")!

    /// The `hyperion_session` value a response sets ("" when it clears it), and the whole header.
    static func cookie(_ headers: HTTPFields) -> (value: String, header: String)? {
        guard let header = headers[values: .setCookie].first(where: { $0.hasPrefix("hyperion_session=") }) else { return nil }
        let value = header.dropFirst("hyperion_session=".count).prefix { $0 != ";" }
        return (String(value), header)
    }

    @Test("login with cookie: the refresh token only in an HttpOnly, SameSite=Strict cookie scoped to the session path")
    func login() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com")
            let login = try await client.json(.post, "/api/v1/auth/login", ["email": "a@example.com", "password": "correct horse", "cookie": true])
            #expect(login.status == .ok && login.body["access_token"] is String)
            #expect(login.body["refresh_token"] == nil, "a script never sees the refresh token")
            let cookie = try #require(Self.cookie(login.headers))
            #expect(cookie.value.count > 20)
            for part in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth/session", "Max-Age=\(30 * 86_400)"] {
                #expect(cookie.header.contains(part), "\(part) in \(cookie.header)")
            }
            #expect(!cookie.header.contains("Secure"), "plain HTTP: a Secure cookie would be dropped")
            // Without the flag, login answers as before: the refresh token in the body, no cookie.
            let plain = try await client.json(.post, "/api/v1/auth/login", ["email": "a@example.com", "password": "correct horse"])
            #expect(plain.body["refresh_token"] is String && Self.cookie(plain.headers) == nil)
            // The cookie is no credential anywhere else.
            let me = try await client.json(.get, "/api/v1/auth/me", headers: [.cookie: "hyperion_session=\(cookie.value)"])
            #expect(me.status == .unauthorized)
        }
    }

    @Test("the session endpoint wants the header, rotates the cookie, and a replayed cookie revokes the family and is cleared")
    func refresh() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com")
            let login = try await client.json(.post, "/api/v1/auth/login", ["email": "a@example.com", "password": "correct horse", "cookie": true])
            let first = try #require(Self.cookie(login.headers)).value
            let forged = try await client.json(.post, "/api/v1/auth/session", headers: [.cookie: "hyperion_session=\(first)"])
            #expect(forged.status == .forbidden && forged.body["code"] as? String == "session_header_missing", "a cross-site form sends no custom header")
            let none = try await client.json(.post, "/api/v1/auth/session", headers: [Self.session: "1"])
            #expect(none.status == .unauthorized && none.body["code"] as? String == "no_session")

            let renewed = try await client.json(.post, "/api/v1/auth/session", headers: [Self.session: "1", .cookie: "other=1; hyperion_session=\(first)"])
            #expect(renewed.status == .ok && renewed.body["refresh_token"] == nil)
            let access = try #require(renewed.body["access_token"] as? String)
            #expect(try await client.json(.get, "/api/v1/auth/me", token: access).status == .ok)
            let second = try #require(Self.cookie(renewed.headers)).value
            #expect(second != first && !second.isEmpty)

            let replay = try await client.json(.post, "/api/v1/auth/session", headers: [Self.session: "1", .cookie: "hyperion_session=\(first)"])
            #expect(replay.status == .unauthorized)
            let cleared = try #require(Self.cookie(replay.headers))
            #expect(cleared.value.isEmpty && cleared.header.contains("Max-Age=0"))
            let afterReplay = try await client.json(.post, "/api/v1/auth/session", headers: [Self.session: "1", .cookie: "hyperion_session=\(second)"])
            #expect(afterReplay.status == .unauthorized, "reuse revoked the whole family")
        }
    }

    @Test("signing the cookie out revokes it and clears it")
    func signOut() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com")
            let login = try await client.json(.post, "/api/v1/auth/login", ["email": "a@example.com", "password": "correct horse", "cookie": true])
            let token = try #require(Self.cookie(login.headers)).value
            #expect(try await client.json(.delete, "/api/v1/auth/session", headers: [.cookie: "hyperion_session=\(token)"]).status == .forbidden)
            let out = try await client.json(.delete, "/api/v1/auth/session", headers: [Self.session: "1", .cookie: "hyperion_session=\(token)"])
            #expect(out.status == .noContent && Self.cookie(out.headers)?.value == "")
            let after = try await client.json(.post, "/api/v1/auth/session", headers: [Self.session: "1", .cookie: "hyperion_session=\(token)"])
            #expect(after.status == .unauthorized)
            // Signing out without a cookie is fine too (idempotent).
            #expect(try await client.json(.delete, "/api/v1/auth/session", headers: [Self.session: "1"]).status == .noContent)
        }
    }

    @Test("behind a trusted proxy that terminated TLS the cookie is Secure; an untrusted peer cannot claim HTTPS")
    func secureBehindProxy() async throws {
        for (trusted, secure) in [("127.0.0.1", true), ("10.9.9.9", false)] {
            let app = try await buildApplication(reader: testReader(["http.trusted_proxies": trusted]), passwordHasher: PasswordHasher(cost: 4),
                                                 embedder: HashingEmbedder())
            try await app.test(TestingSetup.live) { client in
                try await client.signup("a@example.com")
                let login = try await client.json(.post, "/api/v1/auth/login", ["email": "a@example.com", "password": "correct horse", "cookie": true],
                                                  headers: [.xForwardedProto: "https"])
                let cookie = try #require(Self.cookie(login.headers))
                #expect(cookie.header.contains("; Secure") == secure, "trusted \(trusted): \(cookie.header)")
            }
        }
    }

    @Test("an admin resets a password: the user's sessions end, the new password works, the audit log names the admin")
    func adminReset() async throws {
        try await withTestApp { client in
            try await client.signup("admin@example.com")
            let user = try await client.signup("bob@example.com", password: "bob password")
            let userID = try #require(user["id"] as? String)
            let admin = try await client.login("admin@example.com")
            let bob = try await client.login("bob@example.com", password: "bob password")

            let refused = try await client.json(.post, "/api/v1/users/\(userID)/password", ["new_password": "new bob password"], token: bob.access)
            #expect(refused.status == .forbidden)
            let short = try await client.json(.post, "/api/v1/users/\(userID)/password", ["new_password": "short"], token: admin.access)
            #expect(short.status == .unprocessableContent && short.body["field"] as? String == "new_password")
            let unknown = try await client.json(.post, "/api/v1/users/\(UUID().uuidString)/password", ["new_password": "new bob password"], token: admin.access)
            #expect(unknown.status == .notFound)

            let reset = try await client.json(.post, "/api/v1/users/\(userID)/password", ["new_password": "new bob password"], token: admin.access)
            #expect(reset.status == .noContent)
            #expect(try await client.json(.get, "/api/v1/auth/me", token: bob.access).status == .unauthorized)
            #expect(try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": bob.refresh]).status == .unauthorized)
            #expect(try await client.json(.post, "/api/v1/auth/login", ["email": "bob@example.com", "password": "bob password"]).status == .unauthorized)
            _ = try await client.login("bob@example.com", password: "new bob password")

            let log = try await client.json(.get, "/api/v1/audit?type=password_changed", token: admin.access)
            let event = try #require((log.body["items"] as? [[String: Any]])?.first)
            let me = try await client.json(.get, "/api/v1/auth/me", token: admin.access)
            #expect(event["user_id"] as? String == userID && event["actor_id"] as? String == me.body["id"] as? String
                    && event["detail"] as? String == "reset" && event["email"] as? String == "bob@example.com")
        }
    }
}
