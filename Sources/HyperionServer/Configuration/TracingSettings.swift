import Configuration
import Foundation
import HyperionCore

/// Where traces go: an OTLP/HTTP collector (Arize Phoenix, an OpenTelemetry collector, Jaeger…), off by default.
///
/// Keys: `tracing.otlp_endpoint`, `tracing.protocol`, `tracing.headers`, `tracing.sample_ratio`,
/// `tracing.record_content`, `tracing.service_name`. swift-otel's own `OTEL_*` environment variables apply on top.
public struct TracingSettings: Sendable {
    /// The collector's base URL (`/v1/traces` is added); nil traces nothing.
    public var endpoint: URL?
    /// `http/protobuf` (default) or `http/json`.
    public var wireProtocol: String
    /// Extra headers on every export (`name=value`, comma-separated in one string), e.g. an API key.
    public var headers: [(String, String)]
    /// The share of traces kept, 0 to 1; a caller's sampled `traceparent` is always followed.
    public var sampleRatio: Double
    /// Whether spans hold questions, answers, prompts and passages.
    public var recordContent: Bool
    /// The `service.name` spans carry.
    public var serviceName: String

    /// Reads the keys.
    public init(reader: ConfigReader) throws {
        let text = reader.string(forKey: "tracing.otlp_endpoint")?.trimmingCharacters(in: .whitespaces) ?? ""
        if text.isEmpty {
            endpoint = nil
        } else {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host?.isEmpty == false else {
                throw HyperionError.invalid("tracing.otlp_endpoint", "must be the collector's http(s) base URL, e.g. http://127.0.0.1:4318")
            }
            endpoint = url
        }
        wireProtocol = try Setting.tracingProtocol.read(reader)
        let headerList = (reader.string(forKey: "tracing.headers", isSecret: true) ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        headers = try headerList.map { pair in
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw HyperionError.invalid("tracing.headers", "each header must be name=value")
            }
            return (pair[..<equals].trimmingCharacters(in: .whitespaces), pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces))
        }
        let ratio = reader.string(forKey: "tracing.sample_ratio")?.trimmingCharacters(in: .whitespaces) ?? ""
        if ratio.isEmpty {
            sampleRatio = 1
        } else {
            guard let value = Double(ratio), value >= 0, value <= 1 else {
                throw HyperionError.invalid("tracing.sample_ratio", "must be a number from 0 to 1")
            }
            sampleRatio = value
        }
        recordContent = try Setting.tracingRecordContent.read(reader)
        serviceName = try Setting.tracingServiceName.read(reader)
    }
}
