import Foundation
import HyperionCore
import HyperionServer
import HyperionStorage
import Logging
import Prometheus
import Testing

@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("every router route is documented and every documented operation is routed")
    func routesMatchDocument() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-openapi-\(UUID().uuidString)")
        let settings = try ServerSettings(reader: testReader(["data_dir": dir.path]))
        let store = try await Store.open(settings.store, logger: Logger(label: "test"))
        let auth = try await AppDependencies.makeAuth(settings: settings, store: store)
        let dependencies = try AppDependencies.make(settings: settings, store: store, registry: PrometheusCollectorRegistry(), auth: auth,
                                                embedder: HashingEmbedder(), logger: Logger(label: "test"))
        let router = buildRouter(dependencies, logger: Logger(label: "test"))
        try await store.close()

        // A catch-all (the web UI's 404 page under /ui/**) is no operation: OpenAPI has no wildcard paths.
        let routed = Set(router.routes.filter { !$0.path.description.contains("**") }
            .map { "\($0.method.rawValue.lowercased()) \(RouteTable.openAPIPath($0.path.description))" })
        let document = try #require(try JSONSerialization.jsonObject(with: openAPIDocumentJSON()) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, item in
            item.keys.filter { ["get", "post", "put", "patch", "delete"].contains($0) }.map { "\($0) \(path)" }
        })
        #expect(routed.subtracting(documented).isEmpty, "routes missing from the document: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
        #expect(document["openapi"] as? String == "3.1.0")
    }

    @Test("every operation declares the error envelope and an operationId")
    func operationsDeclareErrors() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: openAPIDocumentJSON()) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        var ids = Set<String>()
        for (path, item) in paths {
            for (method, operation) in item {
                let responses = operation["responses"] as? [String: Any]
                #expect(responses?["default"] != nil, "\(method) \(path) lacks the default error response")
                let id = operation["operationId"] as? String
                #expect(id != nil, "\(method) \(path) lacks an operationId")
                if let id { #expect(ids.insert(id).inserted, "duplicate operationId \(id)") }
            }
        }
    }
}
