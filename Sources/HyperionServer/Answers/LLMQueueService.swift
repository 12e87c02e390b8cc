import HyperionCore
import HyperionRabbitMQ
import ServiceLifecycle

/// Closes the LLM queue's connections when the server stops (they open as the application is built, so requests find
/// them ready).
struct LLMQueueService: Service {
    let broker: RabbitMQChatBroker

    func run() async throws {
        try? await gracefulShutdown()
        await broker.shutdown()
    }
}

extension ReadinessCheck {
    /// The LLM queue answers and this instance hears replies. Not critical: everything but LLM answers works without
    /// it, so `/ready` reports `degraded` and names it.
    static func llmQueue(_ broker: RabbitMQChatBroker) -> ReadinessCheck {
        ReadinessCheck(name: "llm_queue", critical: false) {
            do {
                _ = try await broker.status()
            } catch let error as HyperionError {
                throw ReadinessFailure(error.message)
            }
            let (connected, error) = broker.replyStatus
            guard connected else { throw ReadinessFailure("replies cannot be received: \(error ?? "not connected")") }
        }
    }
}
