import Logging
import NIOCore
import NIOPosix

/// Listens on Redis pub/sub channels over a connection of its own (a subscribed connection carries nothing else),
/// reconnecting with backoff for as long as it runs.
public struct RedisSubscriber: Sendable {
    /// What the listener hears.
    public enum Event: Sendable, Equatable {
        /// Subscribed (again): messages published while the subscription was down are lost, so a listener that keeps
        /// state derived from them (a cache) must start afresh.
        case subscribed
        /// The subscription broke; messages published from now until the next ``subscribed`` are lost.
        case lost
        /// A message published on `channel`.
        case message(channel: String, payload: String)
    }

    let settings: RedisSettings
    let logger: Logger
    let group: any EventLoopGroup
    /// How often a silent subscription is checked with PING; a dead peer is found within this plus the timeout.
    var heartbeat: Duration = .seconds(5)

    /// Creates a subscriber; nothing connects until ``run(channels:onEvent:)``.
    public init(settings: RedisSettings, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.settings = settings
        var logger = logger
        logger[metadataKey: "component"] = "redis-subscriber"
        self.logger = logger
        self.group = group
    }

    /// Subscribes to `channels` and calls `onEvent` for each message until the task is cancelled.
    public func run(channels: [String], onEvent: @escaping @Sendable (Event) -> Void) async {
        var backoff = Duration.milliseconds(100)
        var failing = false
        while !Task.isCancelled {
            do {
                let connection = try await RedisConnection.connect(settings, group: group) { push in
                    guard let items = push.array, items.count >= 3, let channel = items[items.count - 2].string,
                          let payload = items[items.count - 1].string else { return }
                    onEvent(.message(channel: channel, payload: payload))
                }
                defer { connection.close() }
                for channel in channels {
                    try RedisConnection.check(try await connection.send(["SUBSCRIBE", .string(channel)]))
                }
                if failing { logger.notice("subscribed again", metadata: ["channels": "\(channels)"]) }
                failing = false
                backoff = .milliseconds(100)
                onEvent(.subscribed)
                // A closed connection is noticed within 50 ms; a silent one by PING (allowed while subscribed), whose
                // missing reply closes it.
                var sincePing = Duration.zero
                while connection.isActive {
                    try await Task.sleep(for: .milliseconds(50))
                    sincePing += .milliseconds(50)
                    if sincePing >= heartbeat {
                        sincePing = .zero
                        _ = try await connection.send(["PING"])
                    }
                }
                throw RedisError.unavailable("the subscription's connection closed")
            } catch is CancellationError {
                return
            } catch {
                if !failing {
                    onEvent(.lost)
                    logger.warning("subscription lost; reconnecting", metadata: ["redis": "\(settings.displayName)", "error": "\(error)"])
                }
                failing = true
            }
            guard (try? await Task.sleep(for: backoff)) != nil else { return }
            backoff = min(backoff * 2, .seconds(2))
        }
    }
}
