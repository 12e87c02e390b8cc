import Configuration
import Foundation
import HyperionCore
import HyperionRabbitMQ

/// How generations reach the LLM: directly, or through RabbitMQ to `hyperion worker` processes.
///
/// Keys: `llm.queue`, `rabbitmq.url`, `rabbitmq.tls_ca_file`, `rabbitmq.timeout_ms`, `rabbitmq.queue_prefix`,
/// `rabbitmq.max_queue_depth`, `rabbitmq.delivery_limit`, `worker.concurrency`, `worker.max_attempts`.
public struct LLMQueueSettings: Sendable {
    /// The broker, when `llm.queue = rabbitmq`.
    public var rabbitMQ: RabbitMQSettings?
    public var maxDepth: Int
    public var deliveryLimit: Int
    /// Requests one worker answers at a time.
    public var workerConcurrency: Int
    /// Attempts at a request whose provider failed retryably.
    public var workerMaxAttempts: Int

    /// Reads the keys; `rabbitmq.url` is required with `llm.queue = rabbitmq`.
    public init(reader: ConfigReader) throws {
        let mode = try Setting.llmQueue.read(reader)
        let timeout = try Setting.rabbitMQTimeout.read(reader)
        let prefix = try Setting.rabbitMQPrefix.read(reader)
        maxDepth = try Setting.rabbitMQMaxDepth.read(reader)
        deliveryLimit = try Setting.rabbitMQDeliveryLimit.read(reader)
        workerConcurrency = try Setting.workerConcurrency.read(reader)
        workerMaxAttempts = try Setting.workerMaxAttempts.read(reader)
        let url = reader.string(forKey: "rabbitmq.url", isSecret: true)?.trimmingCharacters(in: .whitespaces) ?? ""
        guard mode == "rabbitmq" else {
            rabbitMQ = nil
            return
        }
        guard !url.isEmpty else { throw HyperionError.invalid("rabbitmq.url", "is required with llm.queue=rabbitmq") }
        let caFile = reader.string(forKey: "rabbitmq.tls_ca_file")?.trimmingCharacters(in: .whitespaces)
        if let caFile, !caFile.isEmpty, !FileManager.default.isReadableFile(atPath: caFile) {
            throw HyperionError.invalid("rabbitmq.tls_ca_file", "cannot be read: \(caFile.prefix(200))")
        }
        do {
            rabbitMQ = try RabbitMQSettings(url: url, caFile: caFile.flatMap { $0.isEmpty ? nil : $0 }, timeout: .milliseconds(timeout), prefix: prefix)
        } catch let error as RabbitMQSettingsError {
            throw HyperionError.invalid(error.reason.contains("prefix") ? "rabbitmq.queue_prefix" : "rabbitmq.url", error.reason)
        }
    }
}
