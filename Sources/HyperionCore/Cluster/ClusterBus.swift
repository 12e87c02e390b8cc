import Foundation
import Synchronization

/// A change that every instance must hear about at once, because each keeps something derived from it in memory.
public enum ClusterEvent: Sendable, Equatable, Codable {
    /// A user's role, status, password or sessions changed: cached state for them is stale and their access tokens
    /// must be checked against the store again.
    case userChanged(UUID)
    /// Someone asked to stop a query; the instance generating its answer stops it.
    case stopQuery(UUID)
    /// An administrator added, changed or removed an LLM provider, or chose another default: read them again.
    case providersChanged
}

/// Broadcast between instances: the seam behind user-state and token revocation. The embedded default is
/// ``LocalClusterBus`` (one process: delivery to itself); Redis pub/sub implements it for several instances.
/// `ClusterBusConformance` (HyperionConformance) is what proves an implementation right.
public protocol ClusterBus: Sendable {
    /// Sends `event` to every instance, this one included. Best effort: a bus that is down drops it (listeners
    /// hear ``ClusterDelivery/resync`` when it is back and drop what they derived).
    func publish(_ event: ClusterEvent) async
    /// Everything published from now on, until the task iterating it is cancelled. The stream starts with
    /// ``ClusterDelivery/resync`` once the listener is attached: events published after that reach it.
    func events() -> AsyncStream<ClusterDelivery>
}

/// What a bus listener hears.
public enum ClusterDelivery: Sendable, Equatable {
    /// An event from some instance.
    case event(ClusterEvent)
    /// The bus (re)connected: events may have been missed while it was down, so state derived from them must be
    /// dropped.
    case resync
}

/// The one-process ``ClusterBus``: publishing delivers to this process's listeners only.
public final class LocalClusterBus: ClusterBus {
    private let listeners = Mutex<[UUID: AsyncStream<ClusterDelivery>.Continuation]>([:])

    /// Creates a bus with no listeners.
    public init() {}

    public func publish(_ event: ClusterEvent) async {
        for listener in listeners.withLock({ Array($0.values) }) { listener.yield(.event(event)) }
    }

    public func events() -> AsyncStream<ClusterDelivery> {
        let (stream, continuation) = AsyncStream<ClusterDelivery>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let id = UUID()
        listeners.withLock { $0[id] = continuation }
        continuation.yield(.resync)
        continuation.onTermination = { [weak self] _ in _ = self?.listeners.withLock { $0.removeValue(forKey: id) } }
        return stream
    }
}
