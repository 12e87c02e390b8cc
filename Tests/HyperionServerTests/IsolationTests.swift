import Foundation
import HTTPTypes
import HummingbirdTesting
import HyperionCore
@testable import HyperionServer
import Testing

/// Every kind of resource walked as its owner, another plain user and an admin: another user's private resource
/// answers 404 on read, change and delete (its existence is not leaked by a 403), lists leave it out, admin-only
/// routes answer 403 to plain users, and a shared knowledge base is read-only to others.
@Suite("Isolation between users, resource by resource")
struct IsolationTests {
    @Test("another user's knowledge base, documents, files, jobs, queries, sessions and API keys are 404; admin routes 403")
    func walkEveryResource() async throws {
        try await withTestApp { client in
            try await client.signup("admin@example.com")
            try await client.signup("owner@example.com")
            try await client.signup("other@example.com")
            let admin = try await client.login("admin@example.com").access
            let owner = try await client.login("owner@example.com").access
            let other = try await client.login("other@example.com").access

            // The owner's resources: a private knowledge base with a document, its job, a conversation with one
            // answered question, an API key.
            let model = try await client.createModel("Private", token: owner)
            let upload = try await client.upload("/api/v1/models/\(model)/documents", files: [("solar.txt", solarText)], token: owner)
            let job = try #require(upload.body["job_id"] as? String)
            #expect(try await client.waitForJob(job, token: owner)["status"] as? String == "succeeded")
            let document = try #require((upload.body["documents"] as? [[String: Any]])?.first?["document_id"] as? String)
            let session = try #require(try await client.json(.post, "/api/v1/sessions", ["model_id": model], token: owner).body["id"] as? String)
            let asked = try await client.json(.post, "/api/v1/query", ["model_id": model, "query": "What are photovoltaic cells made of?",
                                                                      "session_id": session], token: owner)
            #expect(asked.status == .ok, "\(asked.body)")
            let query = try #require(asked.body["id"] as? String)
            let key = try #require(try await client.json(.post, "/api/v1/auth/api-keys", ["name": "owner-ci"], token: owner).body["id"] as? String)

            let personal: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.get, "/api/v1/models/\(model)", nil), (.patch, "/api/v1/models/\(model)", ["name": "taken"]),
                (.post, "/api/v1/models/\(model)/train", nil), (.post, "/api/v1/models/\(model)/search", ["query": "solar"]),
                (.get, "/api/v1/models/\(model)/documents", nil), (.get, "/api/v1/documents/\(document)", nil),
                (.get, "/api/v1/documents/\(document)/chunks", nil), (.get, "/api/v1/documents/\(document)/content", nil),
                (.get, "/api/v1/jobs/\(job)", nil), (.post, "/api/v1/jobs/\(job)/cancel", nil),
                (.get, "/api/v1/query/\(query)", nil), (.post, "/api/v1/query/\(query)/stop", nil),
                (.get, "/api/v1/sessions/\(session)", nil), (.get, "/api/v1/sessions/\(session)/messages", nil),
                (.patch, "/api/v1/sessions/\(session)", ["title": "taken"]),
                (.post, "/api/v1/query", ["model_id": model, "query": "solar?"]),
                (.post, "/api/v1/sessions", ["model_id": model]),
                (.delete, "/api/v1/sessions/\(session)", nil), (.delete, "/api/v1/documents/\(document)", nil),
                (.delete, "/api/v1/auth/api-keys/\(key)", nil), (.delete, "/api/v1/models/\(model)", nil),
            ]
            for (method, uri, body) in personal {
                let result = try await client.json(method, uri, body, token: other)
                #expect(result.status == .notFound, "another user: \(method) \(uri) → \(result.status) \(result.body)")
            }
            #expect(try await client.upload("/api/v1/models/\(model)/documents", files: [("x.txt", batteryMarkdown)], token: other).status == .notFound)
            // The OpenAI-compatible API names knowledge bases as models: the same refusal, in its own envelope.
            let openAI = try await client.json(.post, "/v1/chat/completions", ["model": model, "messages": [["role": "user", "content": "hi"]]], token: other)
            #expect(openAI.status == .notFound, "\(openAI.body)")

            // Lists leave the owner's things out.
            #expect(try await client.json(.get, "/api/v1/models", token: other).body["total"] as? Int == 0)
            let sessions = try await client.json(.get, "/api/v1/sessions?model_id=\(model)", token: other)
            #expect(sessions.status == .ok && sessions.body["total"] as? Int == 0, "\(sessions.status) \(sessions.body)")
            let unknown = try await client.json(.get, "/api/v1/sessions?model_id=\(UUID().uuidString)", token: other)
            #expect(unknown.status == sessions.status, "an unknown knowledge base answers as another user's private one does")
            #expect(try await client.json(.get, "/api/v1/queries", token: other).body["total"] as? Int == 0)
            #expect(try await client.json(.get, "/api/v1/auth/api-keys", token: other).body["total"].map { "\($0)" } == "0")

            // Admin-only routes: 403 to plain users, whose existence is no secret.
            for (method, uri) in [(HTTPRequest.Method.get, "/api/v1/users"), (.get, "/api/v1/audit"), (.get, "/api/v1/logs"), (.get, "/api/v1/stats"),
                                  (.get, "/api/v1/llm/providers"), (.post, "/api/v1/llm/providers"), (.put, "/api/v1/llm/default")] {
                let result = try await client.json(method, uri, method == .get ? nil : ["name": "x", "kind": "ollama"], token: owner)
                #expect(result.status == .forbidden, "a plain user: \(method) \(uri) → \(result.status)")
            }

            // An admin reads everything of the owner's, but an API key stays its owner's alone.
            for uri in ["/api/v1/models/\(model)", "/api/v1/documents/\(document)", "/api/v1/jobs/\(job)", "/api/v1/query/\(query)",
                        "/api/v1/sessions/\(session)", "/api/v1/sessions/\(session)/messages"] {
                #expect(try await client.json(.get, uri, token: admin).status == .ok, "admin: GET \(uri)")
            }
            #expect(try await client.json(.delete, "/api/v1/auth/api-keys/\(key)", token: admin).status == .notFound)

            // Nothing the other user tried changed anything.
            #expect(try await client.json(.get, "/api/v1/models/\(model)", token: owner).body["name"] as? String == "Private")
            #expect(try await client.json(.get, "/api/v1/documents/\(document)", token: owner).status == .ok)
            #expect(try await client.json(.get, "/api/v1/sessions/\(session)", token: owner).body["title"] as? String != "taken")
            #expect((try await client.json(.get, "/api/v1/auth/api-keys", token: owner).body["items"] as? [[String: Any]])?.count == 1)

            // Shared: others read and search it, and change nothing.
            #expect(try await client.json(.patch, "/api/v1/models/\(model)", ["visibility": "shared"], token: owner).status == .ok)
            #expect(try await client.json(.get, "/api/v1/models/\(model)", token: other).status == .ok)
            #expect(try await client.json(.post, "/api/v1/models/\(model)/search", ["query": "solar"], token: other).status == .ok)
            #expect(try await client.json(.get, "/api/v1/documents/\(document)", token: other).status == .ok)
            for (method, uri, body) in [(HTTPRequest.Method.patch, "/api/v1/models/\(model)", ["name": "taken"] as [String: Any]?),
                                        (.post, "/api/v1/models/\(model)/train", nil), (.delete, "/api/v1/documents/\(document)", nil),
                                        (.delete, "/api/v1/models/\(model)", nil)] {
                let result = try await client.json(method, uri, body, token: other)
                #expect(result.status == .forbidden, "shared, another user: \(method) \(uri) → \(result.status)")
            }
            #expect(try await client.upload("/api/v1/models/\(model)/documents", files: [("x.txt", batteryMarkdown)], token: other).status == .forbidden)
            // Someone else's conversation stays theirs even in a shared knowledge base.
            #expect(try await client.json(.get, "/api/v1/sessions/\(session)", token: other).status == .notFound)
            // The owner's finished job cannot be canceled either.
            #expect(try await client.json(.post, "/api/v1/jobs/\(job)/cancel", token: owner).status == .conflict)
        }
    }
}
