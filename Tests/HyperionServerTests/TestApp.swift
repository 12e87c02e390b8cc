import Configuration
import Foundation
import Hummingbird
import HummingbirdTesting
import HyperionCore
import HyperionServer
import Prometheus
import HTTPTypes

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
    chatModels: [String: any ChatModel] = [:], _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    // bcrypt at cost 4 keeps the suite fast; the configured minimum (10) is tested in ConfigurationTests.
    let app = try await buildApplication(reader: testReader(values), logSink: sink, registry: registry, passwordHasher: PasswordHasher(cost: 4), embedder: HashingEmbedder(), chatModels: chatModels)
    try await app.test(.router) { client in try await body(client) }
}

extension ByteBuffer {
    /// The body parsed as a JSON object.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(buffer: self)) as? [String: Any]) ?? [:] }
}

extension TestClientProtocol {
    /// Sends a JSON body and hands back status and parsed JSON object.
    @discardableResult
    func json(
        _ method: HTTPRequest.Method, _ uri: String, _ body: [String: Any]? = nil, token: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> (status: HTTPResponse.Status, body: [String: Any], headers: HTTPFields) {
        var headers = extra
        if body != nil { headers[.contentType] = "application/json" }
        if let token { headers[.authorization] = "Bearer \(token)" }
        let buffer = try body.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
        return try await execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            (response.status, response.body.json, response.headers)
        }
    }

    /// Signs up and returns the user object.
    @discardableResult
    func signup(_ email: String, password: String = "correct horse") async throws -> [String: Any] {
        let result = try await json(.post, "/api/v1/auth/signup", ["email": email, "password": password])
        precondition(result.status == .created, "signup failed: \(result.status) \(result.body)")
        return result.body
    }

    /// Logs in and returns (access, refresh).
    func login(_ email: String, password: String = "correct horse") async throws -> (access: String, refresh: String) {
        let result = try await json(.post, "/api/v1/auth/login", ["email": email, "password": password])
        guard result.status == .ok, let access = result.body["access_token"] as? String, let refresh = result.body["refresh_token"] as? String
        else { throw TestFailure("login failed: \(result.status) \(result.body)") }
        return (access, refresh)
    }
}

/// Carries a value out of a test application's `@Sendable` body, read after the body has returned.
final class Carry<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// An application over the data directory `dir` with cheap bcrypt and the given embedder, for tests that
/// open more than one application (or the store) over the same data.
func testApp(dataDirectory dir: String, embedder: any DocumentEmbedder = HashingEmbedder(), _ values: [String: String] = [:]) async throws -> some ApplicationProtocol {
    try await buildApplication(reader: testReader(values.merging(["data_dir": dir]) { $1 }), logSink: LogSink(), passwordHasher: PasswordHasher(cost: 4),
                               embedder: embedder)
}

/// A fresh data directory, for tests that open more than one application (or the store) over the same data.
func testDataDirectory(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-\(name)-\(UUID().uuidString)").path
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Two applications as two machines would run them: data directories (index files) of their own, one SQLite store,
/// one folder of originals (either instance's worker may run a job) and one signing key; `values` go to both.
func withTwoInstances(
    _ values: [String: String] = [:], chatModels: [String: any ChatModel] = [:],
    _ body: @escaping @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void
) async throws {
    let shared = testDataDirectory("two-shared")
    try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
    let common = values.merging(["database.url": "sqlite:\(shared)/hyperion.sqlite", "files.dir": "\(shared)/files",
                                 "auth.jwt_secret": String(repeating: "k", count: 40)]) { $1 }
    func instance(_ name: String) async throws -> some ApplicationProtocol {
        try await buildApplication(reader: testReader(common.merging(["data_dir": testDataDirectory(name)]) { $1 }), logSink: LogSink(),
                                   passwordHasher: PasswordHasher(cost: 4), embedder: HashingEmbedder(), chatModels: chatModels)
    }
    let a = try await instance("two-a")
    let b = try await instance("two-b")
    try await a.test(.router) { a in
        try await b.test(.router) { b in try await body(a, b) }
    }
}
