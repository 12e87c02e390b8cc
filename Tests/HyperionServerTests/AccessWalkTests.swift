import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionServer
import Testing

/// Walks every operation of the OpenAPI document: each non-public one must answer 401 without
/// credentials, and each admin one 403 for a plain user. Routes added later are covered automatically.
@Suite("Access walk over the OpenAPI document")
struct AccessWalkTests {
    struct Operation: Sendable, CustomTestStringConvertible {
        let method: HTTPRequest.Method
        let path: String
        let access: String
        var testDescription: String { "\(method.rawValue) \(path)" }
    }

    static let operations: [Operation] = {
        guard let document = try? JSONSerialization.jsonObject(with: openAPIDocumentJSON()) as? [String: Any],
              let paths = document["paths"] as? [String: [String: [String: Any]]]
        else { return [] }
        return paths.flatMap { path, item in
            item.compactMap { method, operation in
                guard let access = operation["x-hyperion-access"] as? String ?? (path.hasPrefix("/api/") ? "user" : "public") as String?,
                      let verb = HTTPRequest.Method(method.uppercased())
                else { return nil }
                // Parameters get a well-formed value so the check is about access, not validation.
                let concrete = path.replacingOccurrences(of: "{id}", with: UUID().uuidString.lowercased())
                    .replacingOccurrences(of: "{file}", with: "swagger-ui.css")
                return Operation(method: verb, path: concrete, access: access)
            }
        }.sorted { $0.testDescription < $1.testDescription }
    }()

    @Test("every API operation declares who may call it")
    func declared() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: openAPIDocumentJSON()) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        for (path, item) in paths where path.hasPrefix("/api/") {
            for (method, operation) in item {
                #expect(["public", "user", "admin"].contains(operation["x-hyperion-access"] as? String ?? ""), "\(method) \(path)")
            }
        }
        #expect(Self.operations.count >= 20)
    }

    @Test("non-public operations answer 401 without credentials", arguments: operations.filter { $0.access != "public" })
    func unauthenticated(operation: Operation) async throws {
        try await withTestApp { client in
            let result = try await client.json(operation.method, operation.path, operation.method == .get || operation.method == .delete ? nil : [:])
            #expect(result.status == .unauthorized)
            if operation.path.hasPrefix("/v1/") {
                // The OpenAI-compatible surface answers in OpenAI's error shape.
                #expect((result.body["error"] as? [String: Any])?["type"] as? String == "authentication_error")
            } else {
                #expect(result.body["code"] is String && result.body["request_id"] is String)
            }
        }
    }

    @Test("admin operations answer 403 to a plain user", arguments: operations.filter { $0.access == "admin" })
    func plainUser(operation: Operation) async throws {
        try await withTestApp { client in
            try await client.signup("admin@example.com")
            try await client.signup("user@example.com")
            let token = try await client.login("user@example.com").access
            let result = try await client.json(operation.method, operation.path, operation.method == .get || operation.method == .delete ? nil : [:], token: token)
            #expect(result.status == .forbidden)
        }
    }
}
