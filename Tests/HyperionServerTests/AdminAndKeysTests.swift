import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionServer
import Testing

@Suite("API keys, user administration, audit log")
struct AdminAndKeysTests {
    @Test("an API key is shown once, works as Bearer and X-API-Key, lists without the key, and stops working when revoked")
    func apiKeys() async throws {
        try await withTestApp { client in
            try await client.signup("a@example.com")
            let access = try await client.login("a@example.com").access
            let created = try await client.json(.post, "/api/v1/auth/api-keys", ["name": "ci script"], token: access)
            #expect(created.status == .created)
            let key = try #require(created.body["key"] as? String)
            #expect(key.hasPrefix("hyp_") && key.count > 40)
            #expect(try await client.json(.get, "/api/v1/auth/me", token: key).body["email"] as? String == "a@example.com")
            #expect(try await client.json(.get, "/api/v1/auth/me", headers: [HTTPField.Name("X-API-Key")!: key]).status == .ok)
            let list = try await client.json(.get, "/api/v1/auth/api-keys", token: access)
            let items = try #require(list.body["items"] as? [[String: Any]])
            #expect(items.count == 1 && items[0]["prefix"] as? String == String(key.prefix(12)) && items[0]["key"] == nil)
            #expect(items[0]["last_used_at"] is String, "use is recorded")
            let id = try #require(created.body["id"] as? String)
            #expect(try await client.json(.delete, "/api/v1/auth/api-keys/\(id)", token: access).status == .noContent)
            #expect(try await client.json(.get, "/api/v1/auth/me", token: key).status == .unauthorized)
            #expect(try await client.json(.delete, "/api/v1/auth/api-keys/\(id)", token: access).status == .notFound)
            let past = try await client.json(.post, "/api/v1/auth/api-keys", ["name": "old", "expires_at": "2001-01-01T00:00:00Z"], token: access)
            #expect(past.status == .unprocessableContent && past.body["field"] as? String == "expires_at")
            let badDate = try await client.json(.post, "/api/v1/auth/api-keys", ["name": "x", "expires_at": "tomorrow"], token: access)
            #expect(badDate.body["field"] as? String == "expires_at")
        }
    }

    @Test("a key acts with its owner's role")
    func keyRole() async throws {
        try await withTestApp { client in
            try await client.signup("admin@example.com")
            try await client.signup("user@example.com")
            let userAccess = try await client.login("user@example.com").access
            let key = try #require(try await client.json(.post, "/api/v1/auth/api-keys", ["name": "k"], token: userAccess).body["key"] as? String)
            #expect(try await client.json(.get, "/api/v1/users", token: key).status == .forbidden)
        }
    }

    @Test("admins manage users; the last active admin cannot be demoted, disabled or deleted")
    func lastAdmin() async throws {
        try await withTestApp { client in
            let admin = try await client.signup("admin@example.com")
            let adminID = try #require(admin["id"] as? String)
            let token = try await client.login("admin@example.com").access
            for change in [["role": "user"], ["is_disabled": true]] as [[String: Any]] {
                let result = try await client.json(.patch, "/api/v1/users/\(adminID)", change, token: token)
                #expect(result.status == .conflict && result.body["code"] as? String == "last_admin")
            }
            #expect(try await client.json(.delete, "/api/v1/users/\(adminID)", token: token).status == .conflict)
            let second = try await client.json(.post, "/api/v1/users", ["email": "second@example.com", "password": "12345678", "role": "admin"], token: token)
            #expect(second.status == .created && second.body["role"] as? String == "admin")
            #expect(try await client.json(.patch, "/api/v1/users/\(adminID)", ["role": "user"], token: token).status == .ok)
            // The demoted admin's live token no longer opens admin routes.
            #expect(try await client.json(.get, "/api/v1/users", token: token).status == .forbidden)
        }
    }

    @Test("disabling a user stops its live token and keys at once and revokes its refresh tokens")
    func disable() async throws {
        try await withTestApp { client in
            try await client.signup("admin@example.com")
            let adminToken = try await client.login("admin@example.com").access
            let user = try await client.signup("user@example.com")
            let userID = try #require(user["id"] as? String)
            let userTokens = try await client.login("user@example.com")
            let key = try #require(try await client.json(.post, "/api/v1/auth/api-keys", ["name": "k"], token: userTokens.access).body["key"] as? String)
            #expect(try await client.json(.get, "/api/v1/auth/me", token: userTokens.access).status == .ok)
            #expect(try await client.json(.patch, "/api/v1/users/\(userID)", ["is_disabled": true], token: adminToken).status == .ok)
            #expect(try await client.json(.get, "/api/v1/auth/me", token: userTokens.access).status == .unauthorized)
            #expect(try await client.json(.get, "/api/v1/auth/me", token: key).status == .unauthorized)
            #expect(try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": userTokens.refresh]).status == .unauthorized)
            // The right and a wrong password get the same answer: nothing tells a guesser which was right.
            let login = try await client.json(.post, "/api/v1/auth/login", ["email": "user@example.com", "password": "correct horse"])
            let wrong = try await client.json(.post, "/api/v1/auth/login", ["email": "user@example.com", "password": "wrong horse"])
            #expect(login.status == .unauthorized && login.body["code"] as? String == "invalid_credentials")
            #expect(wrong.status == login.status && wrong.body["code"] as? String == "invalid_credentials" && wrong.body["detail"] as? String == login.body["detail"] as? String)
            // Re-enabling lets the user sign in again, but revoked keys stay revoked.
            #expect(try await client.json(.patch, "/api/v1/users/\(userID)", ["is_disabled": false], token: adminToken).status == .ok)
            _ = try await client.login("user@example.com")
            #expect(try await client.json(.get, "/api/v1/auth/me", token: key).status == .unauthorized)
        }
    }

    @Test("user list filters by email, role and disabled; bad filters name the parameter")
    func listUsers() async throws {
        try await withTestApp { client in
            try await client.signup("admin@example.com")
            let token = try await client.login("admin@example.com").access
            for email in ["ann@x.org", "bob@x.org", "a_b@y.org", "aXb@y.org"] { try await client.signup(email) }
            func emails(_ query: String) async throws -> [String] {
                let result = try await client.json(.get, "/api/v1/users?\(query)", token: token)
                return (result.body["items"] as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }
            }
            #expect(try await emails("email=x.org") == ["ann@x.org", "bob@x.org"])
            #expect(try await emails("email=a_b") == ["a_b@y.org"], "underscore is literal, not a wildcard")
            #expect(try await emails("role=admin") == ["admin@example.com"])
            #expect(try await emails("limit=2&skip=1").count == 2)
            let all = try await client.json(.get, "/api/v1/users", token: token)
            #expect(all.body["total"] as? Int == 5 && all.body["limit"] as? Int == 20 && all.body["skip"] as? Int == 0)
            for (query, field) in [("role=owner", "role"), ("disabled=maybe", "disabled"), ("limit=0", "limit"), ("skip=-1", "skip")] {
                let result = try await client.json(.get, "/api/v1/users?\(query)", token: token)
                #expect(result.status == .unprocessableContent && result.body["field"] as? String == field, "\(query)")
            }
            #expect(try await client.json(.get, "/api/v1/users/not-a-uuid", token: token).status == .unprocessableContent)
            #expect(try await client.json(.get, "/api/v1/users/\(UUID())", token: token).status == .notFound)
        }
    }

    @Test("the audit log records logins, failures, reuse and admin changes, newest first, filterable")
    func audit() async throws {
        try await withTestApp { client in
            try await client.signup("admin@example.com")
            let token = try await client.login("admin@example.com").access
            _ = try await client.json(.post, "/api/v1/auth/login", ["email": "admin@example.com", "password": "wrong pass"])
            let tokens = try await client.login("admin@example.com")
            _ = try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": tokens.refresh])
            _ = try await client.json(.post, "/api/v1/auth/refresh", ["refresh_token": tokens.refresh])
            let all = try await client.json(.get, "/api/v1/audit", token: token)
            let types = (all.body["items"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
            #expect(types.first == "refresh_reuse_detected")
            #expect(Set(types).isSuperset(of: ["signup", "login_succeeded", "login_failed", "refresh_reuse_detected"]))
            let failures = try await client.json(.get, "/api/v1/audit?type=login_failed", token: token)
            #expect(failures.body["total"] as? Int == 1)
            // Where the audit log was first served, for older clients.
            let old = try await client.json(.get, "/api/v1/logs?kind=audit&type=login_failed", token: token)
            #expect(old.body["total"] as? Int == 1 && (old.body["items"] as? [[String: Any]])?.first?["type"] as? String == "login_failed")
            let future = try await client.json(.get, "/api/v1/audit?since=2999-01-01T00:00:00Z", token: token)
            #expect(future.body["total"] as? Int == 0)
            #expect(try await client.json(.get, "/api/v1/audit?type=nope", token: token).body["field"] as? String == "type")
        }
    }
}
