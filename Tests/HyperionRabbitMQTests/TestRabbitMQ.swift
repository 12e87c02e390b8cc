import Foundation
@testable import HyperionRabbitMQ
import Logging
import Testing

/// The RabbitMQ `make test` starts (scripts/rabbitmq.sh), from `HYPERION_TEST_RABBITMQ_URL`;
/// `HYPERION_TEST_REQUIRE_RABBITMQ=1` makes its absence a failure instead of a skip.
enum TestRabbitMQ {
    static let environment = ProcessInfo.processInfo.environment
    static var isAvailable: Bool { environment["HYPERION_TEST_RABBITMQ_URL"] != nil || environment["HYPERION_TEST_REQUIRE_RABBITMQ"] == "1" }

    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    /// Settings with a queue prefix of their own, so tests running in parallel never share queues.
    static func settings() throws -> RabbitMQSettings {
        guard let url = environment["HYPERION_TEST_RABBITMQ_URL"] else {
            Issue.record("HYPERION_TEST_RABBITMQ_URL is not set: run the suite through `make test`, which starts RabbitMQ")
            throw CancellationError()
        }
        return try RabbitMQSettings(url: url, prefix: "test-\(UUID().uuidString.prefix(8).lowercased())")
    }

    /// Every message in a queue, taken off it.
    static func drain(_ queue: String, settings: RabbitMQSettings) async throws -> [Data] {
        try await offPool {
            let connection = try AMQPConnection(settings: settings, heartbeatSeconds: 0)
            _ = try connection.declareQueue(queue, durable: true)
            _ = try connection.consume(queue: queue, autoAck: true)
            var bodies: [Data] = []
            while let delivery = try connection.next(timeout: .milliseconds(100)) { bodies.append(delivery.body) }
            return bodies
        }
    }

    /// Runs blocking client calls on a dispatch thread, as the product does: on Swift's few cooperative threads they
    /// would hold up every other test running meanwhile.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
