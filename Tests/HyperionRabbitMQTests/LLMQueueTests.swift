import Dispatch
import Foundation
import HyperionConformance
import HyperionCore
@testable import HyperionRabbitMQ
import Synchronization
import Testing

/// The LLM queue on a real RabbitMQ passes the suite the in-memory twin passes.
@Suite(.enabled(if: TestRabbitMQ.isAvailable), .serialized)
struct LLMQueueTests {
    @Test(arguments: ChatJobQueueConformance.checks)
    func rabbitMQ(_ check: ConformanceCheck<ChatJobQueueHarness>) async throws {
        let brokers = Brokers()
        do {
            try await check.run(ChatJobQueueHarness {
                let settings = try TestRabbitMQ.settings()
                let broker = RabbitMQChatBroker(settings: settings, maxDepth: 0, deliveryLimit: 2, logger: TestRabbitMQ.logger)
                broker.start()
                brokers.add(broker)
                // Ready once its reply queue is consumed.
                for _ in 0..<500 where !broker.replyStatus.connected { try await Task.sleep(for: .milliseconds(10)) }
                return ChatJobQueueParts(
                    broker: broker,
                    worker: { RabbitMQChatSource(settings: settings, deliveryLimit: 2, logger: TestRabbitMQ.logger) },
                    lose: { await ($0 as? RabbitMQChatSource)?.shutdown() },
                    deadLetters: { try await TestRabbitMQ.drain(settings.deadLetterQueue, settings: settings) },
                    submitRaw: { body, id in
                        // A message that is not a job, as another program might publish it.
                        let replyQueue = broker.replyQueue
                        try await TestRabbitMQ.offPool {
                            let connection = try AMQPConnection(settings: settings, heartbeatSeconds: 0)
                            try LLMQueueTopology(settings: settings, deliveryLimit: 2).declare(on: connection)
                            try connection.publish(routingKey: settings.requestQueue, body: body, properties: AMQPMessageProperties(
                                persistent: true, correlationID: id, replyTo: replyQueue))
                        }
                        return AsyncStream { $0.finish() }
                    },
                    deliveryLimit: 2
                )
            })
        } catch {
            await brokers.shutdown()
            throw error
        }
        await brokers.shutdown()
    }

    @Test func settingsParseURLs() throws {
        let plain = try RabbitMQSettings(url: "amqp://u%40x:p%2Fw@127.0.0.1:5673/%2F")
        #expect(plain.user == "u@x" && plain.password == "p/w" && plain.vhost == "/" && plain.port == 5673 && !plain.tls)
        let tls = try RabbitMQSettings(url: "amqps://broker.example/prod")
        #expect(tls.tls && tls.port == 5671 && tls.vhost == "prod" && tls.user == "guest")
        #expect(!plain.description.contains("p/w") && !plain.description.contains("p%2Fw"))
        #expect(throws: RabbitMQSettingsError.self) { try RabbitMQSettings(url: "redis://127.0.0.1") }
        #expect(throws: RabbitMQSettingsError.self) { try RabbitMQSettings(url: "amqp://") }
        #expect(throws: RabbitMQSettingsError.self) { try RabbitMQSettings(url: "amqp://h", prefix: "bad prefix") }
    }

    @Test func amqpsWithTheBrokersAuthority() async throws {
        let environment = TestRabbitMQ.environment
        // By the name its certificate gives (librabbitmq checks DNS names, not IP addresses, against the certificate).
        guard let url = environment["HYPERION_TEST_RABBITMQ_TLS_URL"]?.replacingOccurrences(of: "@127.0.0.1:", with: "@localhost:"),
              let ca = environment["HYPERION_TEST_RABBITMQ_CA"] else {
            Issue.record("HYPERION_TEST_RABBITMQ_TLS_URL and HYPERION_TEST_RABBITMQ_CA are not set: run the suite through `make test`")
            return
        }
        let prefix = "tls-\(UUID().uuidString.prefix(8).lowercased())"
        let trusted = try RabbitMQSettings(url: url, caFile: ca, prefix: prefix)
        #expect(trusted.tls)
        let broker = RabbitMQChatBroker(settings: trusted, maxDepth: 0, deliveryLimit: 2, logger: TestRabbitMQ.logger)
        #expect(try await broker.status() == ChatQueueStatus(depth: 0, consumers: 0), "declared and counted over TLS")
        await broker.shutdown()
        // Without the authority that signed the broker's certificate, the connection is refused, and the error says so.
        let untrusted = RabbitMQChatBroker(settings: try RabbitMQSettings(url: url, prefix: prefix), maxDepth: 0, deliveryLimit: 2,
                                           logger: TestRabbitMQ.logger)
        do {
            _ = try await untrusted.status()
            Issue.record("a broker whose certificate is not trusted was used")
        } catch let error as HyperionError {
            #expect(error.code == "llm_queue_unavailable" && error.message.contains("connecting"), "\(error.message)")
        }
        await untrusted.shutdown()
    }

    @Test func unreachableBrokerIsAClearError() async throws {
        let settings = try RabbitMQSettings(url: "amqp://guest:guest@127.0.0.1:1/", timeout: .seconds(1))
        let broker = RabbitMQChatBroker(settings: settings, maxDepth: 0, deliveryLimit: 2, logger: TestRabbitMQ.logger)
        do {
            _ = try await broker.status()
            Issue.record("status of an unreachable broker did not throw")
        } catch let error as HyperionError {
            #expect(error.kind == .unavailable && error.code == "llm_queue_unavailable" && error.message.contains("127.0.0.1:1"))
        }
    }
}

/// Brokers a check made, shut down after it.
final class Brokers: Sendable {
    private let list = Mutex<[RabbitMQChatBroker]>([])
    func add(_ broker: RabbitMQChatBroker) { list.withLock { $0.append(broker) } }
    func shutdown() async {
        for broker in list.withLock({ $0 }) { await broker.shutdown() }
    }
}
