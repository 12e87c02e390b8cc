import Foundation
import HyperionCore
import Logging
import NIOConcurrencyHelpers

/// The ``ClusterBus`` between instances: Redis pub/sub on one channel (`<prefix>events`). Publishing uses the shared
/// client; listening uses a subscriber connection of its own, opened with the first listener and kept open (and
/// reopened) until ``shutdown()``. Every (re)subscription is announced to listeners as ``ClusterDelivery/resync``.
public final class RedisClusterBus: ClusterBus {
    let client: RedisClient
    let subscriber: RedisSubscriber
    let channel: String
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var listeners: [UUID: AsyncStream<ClusterDelivery>.Continuation] = [:]
        var subscribed = false
        var task: Task<Void, Never>?
    }

    /// Creates a bus on `client`'s server.
    public init(client: RedisClient, logger: Logger) {
        self.client = client
        self.subscriber = RedisSubscriber(settings: client.settings, logger: logger)
        self.channel = client.settings.keyPrefix + "events"
        self.logger = logger
    }

    public func publish(_ event: ClusterEvent) async {
        guard let payload = try? String(decoding: JSONEncoder().encode(event), as: UTF8.self) else { return }
        do {
            try await client.send(["PUBLISH", .string(channel), .string(payload)])
        } catch {
            // Listeners elsewhere resync when the bus is back; this instance already applied the change itself.
            logger.debug("an event was not published", metadata: ["error": "\(error)"])
        }
    }

    public func events() -> AsyncStream<ClusterDelivery> {
        let (stream, continuation) = AsyncStream<ClusterDelivery>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let id = UUID()
        state.withLockedValue { state in
            state.listeners[id] = continuation
            if state.subscribed { continuation.yield(.resync) }
            if state.task == nil { state.task = Task { await self.listen() } }
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLockedValue { $0.listeners.removeValue(forKey: id) } }
        return stream
    }

    /// Stops listening and ends every listener's stream.
    public func shutdown() async {
        let (task, listeners) = state.withLockedValue { state in
            defer { state.task = nil; state.listeners = [:]; state.subscribed = false }
            return (state.task, Array(state.listeners.values))
        }
        task?.cancel()
        await task?.value
        for listener in listeners { listener.finish() }
    }

    private func listen() async {
        let decoder = JSONDecoder()
        await subscriber.run(channels: [channel]) { [self] event in
            switch event {
            case .subscribed:
                let listeners = state.withLockedValue { state in
                    state.subscribed = true
                    return Array(state.listeners.values)
                }
                for listener in listeners { listener.yield(.resync) }
            case .lost:
                state.withLockedValue { $0.subscribed = false }
            case .message(_, let payload):
                guard let decoded = try? decoder.decode(ClusterEvent.self, from: Data(payload.utf8)) else {
                    logger.warning("an event on the bus could not be read", metadata: ["payload": "\(payload.prefix(200))"])
                    return
                }
                for listener in state.withLockedValue({ Array($0.listeners.values) }) { listener.yield(.event(decoded)) }
            }
        }
    }
}
