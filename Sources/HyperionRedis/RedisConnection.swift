import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// One connection to Redis, authenticated and on its database. Commands from any number of tasks are pipelined on it.
final class RedisConnection: Sendable {
    let channel: any Channel

    private init(channel: any Channel) { self.channel = channel }

    /// Whether the connection can still carry commands.
    var isActive: Bool { channel.isActive }

    /// Connects, then authenticates and selects the database. `onPush` receives pub/sub deliveries.
    static func connect(
        _ settings: RedisSettings, group: any EventLoopGroup, onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws -> RedisConnection {
        let sslContext: NIOSSLContext?
        if settings.tls {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile = settings.caFile { tls.trustRoots = .file(caFile) }
            do { sslContext = try NIOSSLContext(configuration: tls) } catch {
                throw RedisError.unavailable("TLS cannot be set up: \(error)")
            }
        } else {
            sslContext = nil
        }
        let serverName: String? = if case .tcp(let host, _) = settings.endpoint, !Self.isIPAddress(host) { host } else { nil }
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(Self.nanoseconds(settings.timeout)))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    if let sslContext {
                        try handlers.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    try handlers.addHandler(ByteToMessageHandler(RESPDecoder()))
                    try handlers.addHandler(RedisCommandHandler(timeout: .nanoseconds(Self.nanoseconds(settings.timeout)), onPush: onPush))
                }
            }
        let channel: any Channel
        do {
            switch settings.endpoint {
            case .tcp(let host, let port):
                channel = try await bootstrap.channelOption(.socketOption(.tcp_nodelay), value: 1).connect(host: host, port: port).get()
            case .unixSocket(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            }
        } catch {
            throw RedisError.unavailable("cannot connect to \(settings.displayName): \(error)")
        }
        let connection = RedisConnection(channel: channel)
        do {
            if let password = settings.password {
                let auth: [RedisArgument] = if let user = settings.username { ["AUTH", .string(user), .string(password)] } else { ["AUTH", .string(password)] }
                try check(try await connection.send(auth))
            }
            if settings.database != 0 {
                try check(try await connection.send(["SELECT", .int(settings.database)]))
            }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// Sends one command and waits for its reply; an error reply is returned, not thrown. A reply that takes longer
    /// than the connection's timeout closes the connection (its later replies could no longer be paired) and throws
    /// `unavailable`.
    func send(_ arguments: [RedisArgument]) async throws -> RESPValue {
        var buffer = channel.allocator.buffer(capacity: 64)
        RESPCommand.write(arguments, into: &buffer)
        let reply = channel.eventLoop.makePromise(of: RESPValue.self)
        // A write that never reaches the command handler (the channel closed and its pipeline is gone) must still
        // answer the caller; a promise completed twice keeps its first result.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { reply.fail(RedisError.unavailable("the connection closed: \($0)")) }
        channel.writeAndFlush((command: buffer, reply: reply), promise: written)
        return try await reply.futureResult.get()
    }

    /// Closes the connection; pending commands fail with `unavailable`.
    func close() { channel.close(promise: nil) }

    /// Throws the error a reply carries.
    @discardableResult
    static func check(_ reply: RESPValue) throws -> RESPValue {
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
