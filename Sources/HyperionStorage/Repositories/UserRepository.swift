import Foundation
import HyperionCore
import SQLKit

/// Users in the store. Emails are kept lower-cased and unique.
public struct UserRepository: Sendable {
    let store: Store

    private struct Row: Codable {
        var id: UUID
        var email: String
        var full_name: String?
        var role: String
        var is_disabled: Bool
        var password_hash: String
        var created_at: Date
        var updated_at: Date
        var session_epoch: Int

        init(_ user: User) {
            id = user.id
            email = user.email
            full_name = user.fullName
            role = user.role.rawValue
            is_disabled = user.isDisabled
            password_hash = user.passwordHash
            created_at = user.createdAt
            updated_at = user.updatedAt
            session_epoch = user.sessionEpoch
        }

        func user() throws -> User {
            guard let role = Role(rawValue: role) else {
                throw HyperionError(.unavailable, code: "store_corrupt", message: "unknown role stored for a user")
            }
            return User(
                id: id, email: email, fullName: full_name, role: role, isDisabled: is_disabled,
                passwordHash: password_hash, createdAt: created_at, updatedAt: updated_at, sessionEpoch: session_epoch
            )
        }
    }

    /// Inserts a user.
    /// - Throws: ``HyperionError`` `user_exists` (conflict) when the email is taken.
    @discardableResult
    public func create(_ user: User) async throws -> User {
        var user = user
        user.email = user.email.lowercased()
        do {
            try await store.database.insert(into: "users").model(Row(user)).run()
        } catch where store.dialect.isUniqueViolation(error) {
            throw HyperionError(.conflict, code: "user_exists", message: "a user with this email already exists", field: "email")
        }
        return user
    }

    /// Creates the user `make(isFirst)` returns, deciding "is this the first account?" and inserting in one
    /// serialised transaction, so two concurrent first signups cannot both become admin. `make` may throw to
    /// refuse (nothing is written).
    public func createCountingFirst(_ make: @escaping @Sendable (_ isFirst: Bool) async throws -> User) async throws -> User {
        let dialect = store.dialect
        return try await store.transaction(lock: .firstUser) { db in
            let n = try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("users")
                .first()?.decode(column: "n", as: Int.self) ?? 0
            var user = try await make(n == 0)
            user.email = user.email.lowercased()
            do {
                try await db.insert(into: "users").model(Row(user)).run()
            } catch where dialect.isUniqueViolation(error) {
                throw HyperionError(.conflict, code: "user_exists", message: "a user with this email already exists", field: "email")
            }
            return user
        }
    }

    /// The user with this id, if any.
    public func find(id: UUID) async throws -> User? {
        try await store.database.select().columns("*").from("users").where("id", .equal, id)
            .first(decoding: Row.self)?.user()
    }

    /// The user with this email (case-insensitive), if any.
    public func find(email: String) async throws -> User? {
        try await store.database.select().columns("*").from("users").where("email", .equal, email.lowercased())
            .first(decoding: Row.self)?.user()
    }

    /// How many users exist.
    public func count() async throws -> Int {
        try await store.count("users")
    }

    /// One page of users matching `filter`, oldest first.
    public func list(_ page: PageRequest, filter: UserFilter = UserFilter()) async throws -> Page<User> {
        func apply(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            var query = query
            if let email = filter.email, !email.isEmpty {
                // LIKE with the input's wildcards escaped, so "%" in a filter matches a literal "%".
                let escaped = email.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                query = query.where(SQLQueryString("email LIKE \(bind: "%" + escaped + "%") ESCAPE '\\'"))
            }
            if let role = filter.role { query = query.where("role", .equal, role.rawValue) }
            if let disabled = filter.isDisabled { query = query.where("is_disabled", .equal, disabled) }
            return query
        }
        let rows = try await apply(store.database.select().columns("*").from("users"))
            .orderBy("created_at").orderBy("id")
            .limit(page.limit).offset(page.skip)
            .all(decoding: Row.self)
        let total = try await store.count("users", where: apply)
        return Page(items: try rows.map { try $0.user() }, total: total, request: page)
    }

    /// How many admins can still sign in; the last one may not be demoted, disabled or deleted.
    public func activeAdminCount() async throws -> Int {
        try await store.count("users") { $0.where("role", .equal, Role.admin.rawValue).where("is_disabled", .equal, false) }
    }

    /// Deletes a user (their tokens and keys go with them); returns false when there was none.
    public func delete(id: UUID) async throws -> Bool {
        let rows = try await store.database.delete(from: "users").where("id", .equal, id).returning("id").all()
        return !rows.isEmpty
    }

    /// Moves the user's session epoch on (access tokens issued before stop working); returns the new epoch.
    /// - Throws: ``HyperionError`` `not_found` when the user does not exist.
    @discardableResult
    public func advanceSessionEpoch(id: UUID) async throws -> Int {
        try await store.database.update("users")
            .set(SQLIdentifier("session_epoch"), to: SQLBinaryExpression(SQLIdentifier("session_epoch"), .add, SQLLiteral.numeric("1")))
            .where("id", .equal, id)
            .run()
        guard let user = try await find(id: id) else { throw HyperionError.notFound("user") }
        return user.sessionEpoch
    }

    /// Saves changed fields of an existing user; `updated_at` is set to now.
    /// The session epoch is not among them: only ``advanceSessionEpoch(id:)`` moves it, atomically.
    /// - Throws: ``HyperionError`` `not_found` when the user does not exist.
    @discardableResult
    public func update(_ user: User) async throws -> User {
        var user = user
        user.updatedAt = Date()
        let row = Row(user)
        guard try await find(id: user.id) != nil else { throw HyperionError.notFound("user") }
        try await store.database.update("users")
            .set("full_name", to: row.full_name)
            .set("role", to: row.role)
            .set("is_disabled", to: row.is_disabled)
            .set("password_hash", to: row.password_hash)
            .set("updated_at", to: row.updated_at)
            .where("id", .equal, user.id)
            .run()
        return user
    }
}
