import Foundation
import HyperionCore
@testable import HyperionStorage
import SQLKit
import Testing

@Suite("Auth tables on SQLite and PostgreSQL")
struct AuthStoreTests {
    func user(_ store: Store, _ email: String = "a@example.com") async throws -> User {
        try await store.users.create(User(email: email, role: .user, passwordHash: "x"))
    }

    @Test("concurrent first signups: exactly one becomes admin", arguments: Backend.available)
    func firstUserRace(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let users = try await withThrowingTaskGroup(of: User.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        try await store.users.createCountingFirst { isFirst in
                            // Widen the window between the count and the insert, where an unserialised race would strike.
                            try await Task.sleep(for: .milliseconds(20))
                            return User(email: "u\(i)@example.com", role: isFirst ? .admin : .user, passwordHash: "x")
                        }
                    }
                }
                return try await group.reduce(into: [User]()) { $0.append($1) }
            }
            #expect(users.count == 12)
            #expect(users.filter { $0.role == .admin }.count == 1)
            #expect(try await store.users.count() == 12)
            // A refusal inside the transaction writes nothing.
            await #expect(throws: HyperionError.self) {
                _ = try await store.users.createCountingFirst { _ in throw HyperionError(.forbidden, code: "no", message: "no") }
            }
            #expect(try await store.users.count() == 12)
        }
    }

    @Test("many concurrent multi-statement transactions finish (no thread-pool deadlock)", arguments: Backend.available)
    func concurrentTransactions(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            try await store.database.raw("CREATE TABLE scratch (n INTEGER)").run()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        _ = try await store.transaction { db in
                            try await db.raw("INSERT INTO scratch (n) VALUES (\(bind: i))").run()
                            return try await db.raw("SELECT COUNT(*) AS c FROM scratch").first()?.decode(column: "c", as: Int.self)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.count("scratch") == 40)
        }
    }

    @Test("a refresh token is consumed once, even by concurrent callers", arguments: Backend.available)
    func singleUse(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let owner = try await user(store)
            let record = RefreshTokenRecord(userID: owner.id, familyID: UUID(), tokenHash: "h1", expiresAt: Date().addingTimeInterval(60))
            try await store.refreshTokens.insert(record)
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { try await store.refreshTokens.consume(id: record.id) } }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await store.refreshTokens.find(hash: "h1")?.usedAt != nil)
        }
    }

    @Test("revoking a family or a user's tokens leaves others alone", arguments: Backend.available)
    func revoke(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let a = try await user(store, "a@example.com")
            let b = try await user(store, "b@example.com")
            let family = UUID()
            let expiry = Date().addingTimeInterval(600)
            try await store.refreshTokens.insert(RefreshTokenRecord(userID: a.id, familyID: family, tokenHash: "a1", expiresAt: expiry))
            try await store.refreshTokens.insert(RefreshTokenRecord(userID: a.id, familyID: UUID(), tokenHash: "a2", expiresAt: expiry))
            try await store.refreshTokens.insert(RefreshTokenRecord(userID: b.id, familyID: UUID(), tokenHash: "b1", expiresAt: expiry))
            try await store.refreshTokens.revokeFamily(family)
            #expect(try await store.refreshTokens.activeCount(userID: a.id) == 1)
            try await store.refreshTokens.revokeAll(userID: a.id)
            #expect(try await store.refreshTokens.activeCount(userID: a.id) == 0)
            #expect(try await store.refreshTokens.activeCount(userID: b.id) == 1)
        }
    }

    @Test("deleting a user removes its tokens and keys but keeps its audit events", arguments: Backend.available)
    func cascade(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let a = try await user(store)
            try await store.refreshTokens.insert(RefreshTokenRecord(userID: a.id, familyID: UUID(), tokenHash: "t", expiresAt: Date().addingTimeInterval(60)))
            try await store.apiKeys.insert(APIKeyRecord(userID: a.id, name: "k", prefix: "hyp_x", keyHash: "k"))
            try await store.audit.record(AuditEvent(kind: .signup, userID: a.id))
            #expect(try await store.users.delete(id: a.id))
            #expect(try await store.refreshTokens.find(hash: "t") == nil)
            #expect(try await store.apiKeys.find(hash: "k") == nil)
            #expect(try await store.audit.list(AuditFilter(userID: a.id), page: PageRequest()).total == 1)
        }
    }

    @Test("API keys list newest first without revoked ones; revoke is scoped to the owner", arguments: Backend.available)
    func apiKeys(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let a = try await user(store, "a@example.com")
            let b = try await user(store, "b@example.com")
            let old = APIKeyRecord(userID: a.id, name: "old", prefix: "hyp_1", keyHash: "1", createdAt: Date().addingTimeInterval(-10))
            let new = APIKeyRecord(userID: a.id, name: "new", prefix: "hyp_2", keyHash: "2")
            try await store.apiKeys.insert(old)
            try await store.apiKeys.insert(new)
            #expect(try await store.apiKeys.list(userID: a.id, page: PageRequest()).items.map(\.name) == ["new", "old"])
            #expect(try await store.apiKeys.revoke(id: old.id, userID: b.id) == false)
            #expect(try await store.apiKeys.revoke(id: old.id, userID: a.id))
            let page = try await store.apiKeys.list(userID: a.id, page: PageRequest())
            #expect(page.items.map(\.name) == ["new"] && page.total == 1)
        }
    }

    @Test("audit events filter by type, user and time, newest first", arguments: Backend.available)
    func audit(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let user = UUID()
            let base = Date(timeIntervalSince1970: 1_800_000_000)
            for (i, kind) in [AuditEvent.Kind.signup, .loginFailed, .loginSucceeded, .loginFailed].enumerated() {
                try await store.audit.record(AuditEvent(kind: kind, userID: i == 0 ? user : nil, createdAt: base.addingTimeInterval(Double(i))))
            }
            let all = try await store.audit.list(AuditFilter(), page: PageRequest())
            #expect(all.items.map(\.kind) == [.loginFailed, .loginSucceeded, .loginFailed, .signup])
            #expect(try await store.audit.list(AuditFilter(kind: .loginFailed), page: PageRequest()).total == 2)
            #expect(try await store.audit.list(AuditFilter(userID: user), page: PageRequest()).items.map(\.kind) == [.signup])
            let window = AuditFilter(since: base.addingTimeInterval(1), until: base.addingTimeInterval(3))
            #expect(try await store.audit.list(window, page: PageRequest()).items.map(\.kind) == [.loginSucceeded, .loginFailed])
        }
    }

    @Test("text with NUL is a validation error on every backend, never a database error", arguments: Backend.available)
    func nulText(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            for attempt in [
                { _ = try await store.users.find(email: "a\u{0}@example.com") },
                { _ = try await store.users.create(User(email: "b@example.com", fullName: "x\u{0}y", role: .user, passwordHash: "x")) },
                { _ = try await store.users.list(PageRequest(), filter: UserFilter(email: "\u{0}")) },
            ] as [@Sendable () async throws -> Void] {
                do {
                    try await attempt()
                    Issue.record("NUL text was accepted")
                } catch let error as HyperionError {
                    #expect(error.kind == .validation)
                }
            }
            #expect(try await store.users.count() == 0)
        }
    }

    @Test("active admins are counted; disabled admins do not count", arguments: Backend.available)
    func adminCount(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            try await store.users.create(User(email: "a@example.com", role: .admin, passwordHash: "x"))
            try await store.users.create(User(email: "b@example.com", role: .admin, isDisabled: true, passwordHash: "x"))
            try await store.users.create(User(email: "c@example.com", role: .user, passwordHash: "x"))
            #expect(try await store.users.activeAdminCount() == 1)
            let filtered = try await store.users.list(PageRequest(), filter: UserFilter(role: .admin, isDisabled: true))
            #expect(filtered.items.map(\.email) == ["b@example.com"])
        }
    }
}
