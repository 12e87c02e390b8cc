import Foundation
import HyperionCore

/// Makes buses for ``ClusterBusConformance``: `make()` gives two buses joined as two instances would be (for a
/// one-process bus, the same one twice), on a medium no other check shares.
public struct ClusterBusHarness: Sendable {
    let make: @Sendable () async throws -> (any ClusterBus, any ClusterBus)

    /// A harness over a factory of joined pairs.
    public init(make: @escaping @Sendable () async throws -> (any ClusterBus, any ClusterBus)) { self.make = make }
}

/// What every ``ClusterBus`` must do: a listener's stream starts with ``ClusterDelivery/resync`` once it is listening;
/// from then on every event published on either bus reaches every listener, in the order one publisher sent them;
/// a listener that goes away does not hold up the others. Waits are generous (the suites run with every other test
/// on two cores); how fast delivery is on a quiet machine is a benchmark's business.
public enum ClusterBusConformance {
    /// Every check of the suite.
    public static let checks: [ConformanceCheck<ClusterBusHarness>] = [
        .init("an event published on one instance reaches listeners on both") { harness in
            let (a, b) = try await harness.make()
            var onA = a.events().makeAsyncIterator()
            var onB = b.events().makeAsyncIterator()
            try expectEqual(try await next(&onA), .resync, "a's first delivery")
            try expectEqual(try await next(&onB), .resync, "b's first delivery")
            let user = UUID()
            await a.publish(.userChanged(user))
            try expectEqual(try await next(&onB), .event(.userChanged(user)), "what b heard")
            try expectEqual(try await next(&onA), .event(.userChanged(user)), "what a heard of its own event")
            // Every kind of event survives the trip (a bus that serialises them must know each).
            for event in [ClusterEvent.stopQuery(UUID()), .providersChanged] {
                await b.publish(event)
                try expectEqual(try await next(&onA), .event(event), "a heard b's \(event)")
                try expectEqual(try await next(&onB), .event(event), "b heard its own \(event)")
            }
        },
        .init("events from one publisher arrive in order") { harness in
            let (a, b) = try await harness.make()
            var onB = b.events().makeAsyncIterator()
            try expectEqual(try await next(&onB), .resync, "b's first delivery")
            let users = (0..<50).map { _ in UUID() }
            for user in users { await a.publish(.userChanged(user)) }
            var heard: [UUID] = []
            while heard.count < users.count {
                guard case .event(.userChanged(let id)) = try await next(&onB) else { continue }
                heard.append(id)
            }
            try expectEqual(heard, users, "order of 50 events")
        },
        .init("a listener that went away does not hold up the others") { harness in
            let (a, b) = try await harness.make()
            let gone = Task {
                var stream = b.events().makeAsyncIterator()
                _ = await stream.next()
            }
            gone.cancel()
            _ = await gone.value
            var onB = b.events().makeAsyncIterator()
            try expectEqual(try await next(&onB), .resync, "b's first delivery")
            let user = UUID()
            await a.publish(.userChanged(user))
            try expectEqual(try await next(&onB), .event(.userChanged(user)), "what the remaining listener heard")
        },
    ]

    /// The next delivery, or a failure after `limit`.
    private static func next(_ iterator: inout AsyncStream<ClusterDelivery>.Iterator, within limit: Duration = .seconds(10),
                             line: UInt = #line) async throws -> ClusterDelivery {
        let box = IteratorBox(iterator)
        let delivery = try await withThrowingTaskGroup(of: ClusterDelivery?.self) { group in
            group.addTask { await box.next() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        iterator = box.iterator
        guard let delivery else { throw ConformanceFailure(message: "nothing delivered within \(limit)", line: line) }
        return delivery
    }
}

/// Lets a child task advance an iterator that the caller keeps.
private final class IteratorBox: @unchecked Sendable {
    var iterator: AsyncStream<ClusterDelivery>.Iterator
    init(_ iterator: AsyncStream<ClusterDelivery>.Iterator) { self.iterator = iterator }
    func next() async -> ClusterDelivery? { await iterator.next() }
}
