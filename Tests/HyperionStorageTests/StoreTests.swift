import Foundation
import HyperionCore
@testable import HyperionStorage
import SQLKit
import Testing

@Suite("Store on SQLite and PostgreSQL")
struct StoreTests {
    @Test("migrations apply once and the store reports itself current", arguments: Backend.available)
    func migrationsApplyOnce(backend: Backend) async throws {
        try await withFreshStore(backend, migrate: false) { store, _ in
            let migrator = Migrator(store: store, logger: testLogger)
            #expect(try await migrator.isCurrent() == false)
            let first = try await migrator.migrate()
            #expect(first == Migration.all.map(\.version))
            #expect(try await migrator.migrate().isEmpty)
            #expect(try await migrator.isCurrent())
        }
    }

    @Test("two instances migrating at once do not race", arguments: Backend.available)
    func concurrentMigrations(backend: Backend) async throws {
        try await withFreshStore(backend, migrate: false) { store, configuration in
            let other = try await Store.open(configuration, logger: testLogger)
            async let a = Migrator(store: store, logger: testLogger).migrate()
            async let b = Migrator(store: other, logger: testLogger).migrate()
            let (applied1, applied2) = try await (a, b)
            try await other.close()
            // Exactly one of them applied each version; the other found it applied.
            #expect((applied1 + applied2).sorted() == Migration.all.map(\.version))
            let rows = try await store.database.select().column("version").from("schema_migrations").all()
            #expect(rows.count == Migration.all.count)
        }
    }

    @Test("on SQLite a migration waits for another process's write lock longer than busy_timeout instead of failing")
    func migrationOutwaitsALongLock() async throws {
        try await withFreshStore(.sqlite) { store, configuration in
            let other = try await Store.open(configuration, logger: testLogger)
            // The write lock held 11 s, past the connection's 10 s busy_timeout, as a long migration elsewhere would.
            async let holder: Void = store.transaction { session in
                try await session.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999999, 'held', CURRENT_TIMESTAMP)").run()
                try await Task.sleep(for: .seconds(11))
                try await session.raw("DELETE FROM schema_migrations WHERE version = 999999").run()
            }
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            let applied = try await Migrator(store: other, logger: testLogger).migrate()
            try await holder
            #expect(applied.isEmpty && ContinuousClock.now - started > .seconds(9))
            try await other.close()
        }
    }

    @Test("a store dropped without close() closes itself instead of trapping; close() twice is harmless", arguments: Backend.available)
    func droppedStoreClosesItself(backend: Backend) async throws {
        try await withFreshStore(backend) { store, configuration in
            // AsyncKit asserts when a pool is released open: before OwnedPool this crashed the test process.
            for _ in 0..<3 {
                var dropped: Store? = try await Store.open(configuration, logger: testLogger)
                try await dropped?.ping()
                dropped = nil
            }
            let twice = try await Store.open(configuration, logger: testLogger)
            try await twice.close()
            try await twice.close()
            try await store.ping()
        }
    }

    @Test("users round-trip with UUID ids and UTC timestamps", arguments: Backend.available)
    func userRoundTrip(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let created = Date(timeIntervalSince1970: 1_790_000_000.123456)
            let user = User(email: "Ada@Example.COM", fullName: "Ada Lovelace", role: .admin, passwordHash: "$2b$12$hash", createdAt: created, updatedAt: created)
            try await store.users.create(user)
            let found = try #require(try await store.users.find(email: "ada@example.com"))
            #expect(found.id == user.id)
            #expect(found.email == "ada@example.com")
            #expect(found.fullName == "Ada Lovelace" && found.role == .admin && !found.isDisabled)
            #expect(abs(found.createdAt.timeIntervalSince(created)) < 0.001)
            #expect(try await store.users.find(id: user.id)?.email == "ada@example.com")
            #expect(try await store.users.find(id: UUID()) == nil)
        }
    }

    @Test("a duplicate email is a conflict and nothing is written", arguments: Backend.available)
    func duplicateEmail(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            try await store.users.create(User(email: "bob@example.com", role: .user, passwordHash: "x"))
            await #expect(throws: HyperionError(.conflict, code: "user_exists", message: "a user with this email already exists", field: "email")) {
                try await store.users.create(User(email: "BOB@example.com", role: .user, passwordHash: "y"))
            }
            #expect(try await store.users.count() == 1)
        }
    }

    @Test("lists page with skip, limit and total in creation order", arguments: Backend.available)
    func pagination(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let base = Date()
            for i in 0..<5 {
                let at = base.addingTimeInterval(Double(i))
                try await store.users.create(User(email: "u\(i)@example.com", role: .user, passwordHash: "x", createdAt: at, updatedAt: at))
            }
            let page = try await store.users.list(PageRequest(skip: 1, limit: 2))
            #expect(page.total == 5)
            #expect(page.items.map(\.email) == ["u1@example.com", "u2@example.com"])
            #expect(try await store.users.list(PageRequest(skip: 10, limit: 2)).items.isEmpty)
        }
    }

    @Test("a failed transaction leaves nothing half-written", arguments: Backend.available)
    func transactionRollback(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await store.transaction { db in
                    try await db.insert(into: "users")
                        .columns("id", "email", "role", "is_disabled", "password_hash", "created_at", "updated_at")
                        .values(SQLBind(UUID()), SQLBind("t@example.com"), SQLBind("user"), SQLBind(false), SQLBind("x"), SQLBind(Date()), SQLBind(Date()))
                        .run()
                    throw Boom()
                }
            }
            #expect(try await store.users.count() == 0)
            // The connection is usable afterwards and a committed transaction is visible.
            try await store.transaction { db in
                try await db.insert(into: "users")
                    .columns("id", "email", "role", "is_disabled", "password_hash", "created_at", "updated_at")
                    .values(SQLBind(UUID()), SQLBind("t@example.com"), SQLBind("user"), SQLBind(false), SQLBind("x"), SQLBind(Date()), SQLBind(Date()))
                    .run()
            }
            #expect(try await store.users.count() == 1)
        }
    }

    @Test("the pool-usage count holds a transaction for its whole life and a statement until it returns, failed ones too", arguments: Backend.available)
    func operationsInFlight(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            #expect(store.poolSize >= 2)
            #expect(store.operationsInFlight == 0)
            let inside = try await store.transaction { db in
                // Statements on the transaction's own connection do not count again.
                _ = try await db.raw("SELECT 1").all()
                return store.operationsInFlight
            }
            #expect(inside == 1)
            #expect(store.operationsInFlight == 0)
            await #expect(throws: (any Error).self) { try await store.database.raw("SELECT no_such_column FROM users").run() }
            #expect(store.operationsInFlight == 0, "a failed statement leaves the count")
        }
    }

    @Test("updating a user changes fields and updated_at; a missing user is not found", arguments: Backend.available)
    func update(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let old = Date(timeIntervalSince1970: 1_700_000_000)
            var user = try await store.users.create(User(email: "c@example.com", role: .user, passwordHash: "x", createdAt: old, updatedAt: old))
            user.isDisabled = true
            user.role = .admin
            try await store.users.update(user)
            let found = try #require(try await store.users.find(id: user.id))
            #expect(found.isDisabled && found.role == .admin && found.updatedAt > old)
            await #expect(throws: HyperionError.notFound("user")) {
                try await store.users.update(User(email: "nobody@example.com", role: .user, passwordHash: "x"))
            }
        }
    }

    @Test("an unreachable PostgreSQL fails with a clear error that hides the password")
    func unreachable() async throws {
        let url = "postgres://admin:topsecret@127.0.0.1:1/db?sslmode=disable"
        do {
            _ = try await Store.open(StoreConfiguration(backend: .postgres(url: url)), logger: testLogger)
            Issue.record("opening an unreachable database succeeded")
        } catch let error as HyperionError {
            #expect(error.kind == .unavailable && error.code == "store_unreachable")
            #expect(!error.message.contains("topsecret"))
        }
    }
}

@Suite("Store configuration")
struct StoreConfigurationTests {
    let dataDir = URL(fileURLWithPath: "/srv/hyperion")

    @Test("the default is a SQLite file in the data directory")
    func defaultSQLite() throws {
        #expect(try StoreConfiguration.backendFor("", dataDir) == .sqlite(path: "/srv/hyperion/hyperion.sqlite"))
        #expect(try StoreConfiguration.backendFor("sqlite:other.db", dataDir) == .sqlite(path: "/srv/hyperion/other.db"))
        #expect(try StoreConfiguration.backendFor("sqlite:///var/db.sqlite", dataDir) == .sqlite(path: "/var/db.sqlite"))
    }

    @Test("a postgres:// URL selects PostgreSQL and its password is masked when shown")
    func postgres() throws {
        let config = StoreConfiguration(backend: try StoreConfiguration.backendFor("postgres://u:pw@db:5432/h", dataDir))
        #expect(config.dialect == .postgres)
        #expect(config.description == "postgres://u:***@db:5432/h")
        // Hardening 12: a raw `@` in the password left its tail in the start-up log.
        #expect(StoreConfiguration.maskPassword(in: "postgres://u:p@ss@w0rd@db:5432/h?sslmode=require") == "postgres://u:***@db:5432/h?sslmode=require")
        #expect(StoreConfiguration.maskPassword(in: "postgres://u:pw@db/h?application_name=a@b") == "postgres://u:***@db/h?application_name=a@b")
        #expect(StoreConfiguration.maskPassword(in: "postgres://db/h?x=a@b") == "postgres://db/h?x=a@b")
        #expect(StoreConfiguration.maskPassword(in: "postgres://user@db/h") == "postgres://user@db/h")
    }

    @Test("an unknown scheme names database.url")
    func badScheme() {
        #expect(throws: HyperionError.self) { try StoreConfiguration.backendFor("mysql://x", dataDir) }
        do {
            _ = try StoreConfiguration.backendFor("mysql://x", dataDir)
        } catch let error as HyperionError {
            #expect(error.field == "database.url")
        } catch { Issue.record("unexpected \(error)") }
    }
}

extension StoreConfiguration {
    static func backendFor(_ url: String, _ dataDir: URL) throws -> Backend {
        try StoreConfiguration(reader: .init(provider: InMemoryProviderShim.make(["database.url": url])), dataDirectory: dataDir).backend
    }
}
