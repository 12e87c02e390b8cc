import Configuration
import Foundation
import Hummingbird
import HummingbirdTesting
import HyperionServer
import Prometheus

/// A configuration reader over plain key/value pairs, with a fresh data directory unless one is given.
func testReader(_ values: [String: String] = [:]) -> ConfigReader {
    var values = values
    if values["data_dir"] == nil {
        values["data_dir"] = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-test-\(UUID().uuidString)").path
    }
    values["log.format"] = values["log.format"] ?? "json"
    return ConfigReader(provider: InMemoryProvider(values: Dictionary(uniqueKeysWithValues: values.map {
        (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), ConfigValue(.string($0.value), isSecret: false))
    })))
}

/// Runs `body` against a full application built from `values`, through Hummingbird's router test client.
func withTestApp(
    _ values: [String: String] = [:], sink: LogSink = LogSink(), registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    let app = try await buildApplication(reader: testReader(values), logSink: sink, registry: registry)
    try await app.test(.router) { client in try await body(client) }
}

extension ByteBuffer {
    /// The body parsed as a JSON object.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(buffer: self)) as? [String: Any]) ?? [:] }
}
