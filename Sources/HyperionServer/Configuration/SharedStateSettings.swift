import Configuration
import Foundation
import HyperionCore
import HyperionRedis

/// State the instances share, and the per-caller request budgets that use it.
///
/// Keys: `redis.url`, `redis.tls_ca_file`, `redis.timeout_ms`, `redis.key_prefix`, `redis.strict`,
/// `rate_limit.requests_per_minute`, `rate_limit.llm_requests_per_minute`, `rate_limit.admin_requests_per_minute`,
/// `rate_limit.admin_llm_requests_per_minute`.
public struct SharedStateSettings: Sendable {
    /// Redis, when configured.
    public var redis: RedisSettings?
    /// Whether `/ready` fails while Redis is down.
    public var strict: Bool
    /// Requests per minute per caller: `[role: limit]` for every request and for LLM-backed ones (0 = off).
    public var requestsPerMinute: [Role: Int]
    public var llmRequestsPerMinute: [Role: Int]

    /// Reads the keys.
    public init(reader: ConfigReader) throws {
        strict = try Setting.redisStrict.read(reader)
        // Read (and so checked) even without a URL: a typo is reported before it matters.
        let timeout = try Setting.redisTimeout.read(reader)
        let keyPrefix = try Setting.redisKeyPrefix.read(reader)
        let url = reader.string(forKey: "redis.url", isSecret: true)?.trimmingCharacters(in: .whitespaces) ?? ""
        if url.isEmpty {
            redis = nil
        } else {
            let caFile = reader.string(forKey: "redis.tls_ca_file")?.trimmingCharacters(in: .whitespaces)
            if let caFile, !caFile.isEmpty, !FileManager.default.isReadableFile(atPath: caFile) {
                throw HyperionError.invalid("redis.tls_ca_file", "cannot be read: \(caFile.prefix(200))")
            }
            do {
                redis = try RedisSettings(url: url, timeout: .milliseconds(timeout), keyPrefix: keyPrefix, caFile: caFile.flatMap { $0.isEmpty ? nil : $0 })
            } catch let error as RedisSettingsError {
                throw HyperionError.invalid("redis.url", error.reason)
            }
        }
        let user = try Setting.requestsPerMinute.read(reader)
        let userLLM = try Setting.llmRequestsPerMinute.read(reader)
        let admin = try Setting.adminRequestsPerMinute.read(reader)
        let adminLLM = try Setting.adminLLMRequestsPerMinute.read(reader)
        requestsPerMinute = [.user: user, .admin: admin < 0 ? user : admin]
        llmRequestsPerMinute = [.user: userLLM, .admin: adminLLM < 0 ? userLLM : adminLLM]
    }
}
