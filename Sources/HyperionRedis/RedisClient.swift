import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A Redis client for shared state between instances: one pipelined connection, opened at first use and reopened
/// after a failure.
///
/// Redis is an optimisation and a coordination aid here, never the only copy of anything, so a Redis that is down
/// must not slow requests down: after a failure, calls fail at once with ``RedisError/unavailable(_:)`` (callers fall
/// back) while one reconnection attempt a second runs in the background. An outage is logged once when it starts and
/// once when it ends.
public final class RedisClient: Sendable {
    /// Where the server is.
    public let settings: RedisSettings
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let scripts = NIOLockedValueBox<[String: String]>([:])

    private struct State {
        var connection: RedisConnection?
        var connecting: Task<RedisConnection, any Error>?
        /// Set while Redis is considered down.
        var downSince: ContinuousClock.Instant?
        var lastAttempt: ContinuousClock.Instant?
        var lastError = ""
    }

    /// Creates a client; nothing is connected until the first command.
    public init(settings: RedisSettings, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.settings = settings
        self.group = group
        var logger = logger
        logger[metadataKey: "component"] = "redis"
        self.logger = logger
    }

    /// Whether the last command (or connection attempt) succeeded.
    public var isAvailable: Bool { state.withLockedValue { $0.downSince == nil } }

    /// Why Redis is down, while it is.
    public var lastError: String? { state.withLockedValue { $0.downSince == nil ? nil : $0.lastError } }

    /// Sends one command and returns its reply. An error reply throws ``RedisError/server(_:)``; a connection that
    /// cannot be made or breaks throws ``RedisError/unavailable(_:)``.
    @discardableResult
    public func send(_ arguments: [RedisArgument]) async throws -> RESPValue {
        let connection = try await connection()
        do {
            let reply = try await connection.send(arguments)
            markUp()
            return try RedisConnection.check(reply)
        } catch let error as RedisError {
            if case .server = error { throw error }
            markDown(error, dropping: connection)
            throw error
        }
    }

    /// Runs a Lua script by its SHA1 (`EVALSHA`), loading it first when the server does not know it (a restarted
    /// Redis forgets every script).
    public func evaluate(_ script: String, keys: [String], arguments: [RedisArgument]) async throws -> RESPValue {
        let call: (String) -> [RedisArgument] = { sha in
            ["EVALSHA", .string(sha), .int(keys.count)] + keys.map { .string($0) } + arguments
        }
        if let sha = scripts.withLockedValue({ $0[script] }) {
            do {
                return try await send(call(sha))
            } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") {}
        }
        guard let sha = try await send(["SCRIPT", "LOAD", .string(script)]).string else {
            throw RedisError.unexpectedReply("SCRIPT LOAD answered no SHA1")
        }
        scripts.withLockedValue { $0[script] = sha }
        return try await send(call(sha))
    }

    /// `PING`: throws unless Redis answers.
    public func ping() async throws {
        guard try await send(["PING"]).string == "PONG" else { throw RedisError.unexpectedReply("PING did not answer PONG") }
    }

    /// `PING` that, while Redis is down, tries to connect now (once, shared with concurrent callers) instead of failing
    /// fast: what a readiness probe needs, so a Redis that came back is reported as soon as it is asked about.
    public func probe() async throws {
        if !isAvailable {
            let task = state.withLockedValue { state in state.connecting ?? startAttempt(&state) }
            _ = try await finish(task)
        }
        try await ping()
    }

    /// Closes the connection. Later commands reconnect.
    public func close() {
        let connection = state.withLockedValue { state in
            defer { state.connection = nil }
            state.connecting?.cancel()
            state.connecting = nil
            return state.connection
        }
        connection?.close()
    }

    /// The open connection, a shared attempt in flight, or a new attempt. While Redis is down, only one attempt a
    /// second is made, in the background, and callers do not wait for it.
    private func connection() async throws -> RedisConnection {
        enum Next { case use(RedisConnection), wait(Task<RedisConnection, any Error>), failFast(String, started: Task<RedisConnection, any Error>?) }
        let next: Next = state.withLockedValue { state in
            if let connection = state.connection, connection.isActive { return .use(connection) }
            state.connection = nil
            let now = ContinuousClock.now
            if let connecting = state.connecting {
                return state.downSince == nil ? .wait(connecting) : .failFast(state.lastError, started: nil)
            }
            if state.downSince != nil, let last = state.lastAttempt, now - last < .seconds(1) {
                return .failFast(state.lastError, started: nil)
            }
            let task = startAttempt(&state)
            return state.downSince == nil ? .wait(task) : .failFast(state.lastError, started: task)
        }
        switch next {
        case .use(let connection):
            return connection
        case .failFast(let reason, let started):
            // The caller that started a background attempt has it record its outcome; nobody waits for it.
            if let started { Task { _ = try? await self.finish(started) } }
            throw RedisError.unavailable(reason)
        case .wait(let task):
            return try await finish(task)
        }
    }

    /// Starts the one connection attempt in flight (under the state's lock).
    private func startAttempt(_ state: inout State) -> Task<RedisConnection, any Error> {
        let settings = settings, group = group
        let task = Task { try await RedisConnection.connect(settings, group: group) }
        state.connecting = task
        state.lastAttempt = .now
        return task
    }

    /// Awaits a connection attempt and records its outcome.
    private func finish(_ task: Task<RedisConnection, any Error>) async throws -> RedisConnection {
        do {
            let connection = try await task.value
            state.withLockedValue { state in
                if state.connecting == task { state.connecting = nil }
                state.connection = connection
            }
            markUp()
            return connection
        } catch {
            state.withLockedValue { state in if state.connecting == task { state.connecting = nil } }
            let failure = error as? RedisError ?? .unavailable("\(error)")
            markDown(failure, dropping: nil)
            throw failure
        }
    }

    private func markUp() {
        let since = state.withLockedValue { state in
            defer { state.downSince = nil }
            return state.downSince
        }
        if let since {
            logger.notice("Redis is reachable again", metadata: ["redis": "\(settings.displayName)", "down_for": "\(ContinuousClock.now - since)"])
        }
    }

    private func markDown(_ error: RedisError, dropping connection: RedisConnection?) {
        connection?.close()
        let first = state.withLockedValue { state in
            if let connection, state.connection === connection { state.connection = nil }
            state.lastError = "\(error)"
            if state.downSince != nil { return false }
            state.downSince = .now
            state.lastAttempt = .now
            return true
        }
        if first {
            logger.warning("Redis is unavailable; serving without it until it is back (limits count per instance)",
                           metadata: ["redis": "\(settings.displayName)", "error": "\(error)"])
        }
    }
}
