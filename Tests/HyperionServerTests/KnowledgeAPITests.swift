import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A multipart/form-data body: files as (field, filename, bytes), plus plain fields.
func multipart(files: [(String, String, Data)], fields: [(String, String)] = []) -> (ByteBuffer, String) {
    let boundary = "----hyperion\(UUID().uuidString.prefix(8))"
    var body = Data()
    for (name, value) in fields {
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }
    for (name, filename, data) in files {
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
        body.append(data)
        body.append(Data("\r\n".utf8))
    }
    body.append(Data("--\(boundary)--\r\n".utf8))
    return (ByteBuffer(data: body), "multipart/form-data; boundary=\(boundary)")
}

extension TestClientProtocol {
    func upload(_ uri: String, files: [(String, Data)], fields: [(String, String)] = [], token: String) async throws -> (status: HTTPResponse.Status, body: [String: Any]) {
        let (body, type) = multipart(files: files.map { ("file", $0.0, $0.1) }, fields: fields)
        return try await execute(uri: uri, method: .post, headers: [.contentType: type, .authorization: "Bearer \(token)"], body: body) {
            ($0.status, $0.body.json)
        }
    }

    /// Polls a job until it ends.
    func waitForJob(_ id: String, token: String) async throws -> [String: Any] {
        for _ in 0..<200 {
            let job = try await json(.get, "/api/v1/jobs/\(id)", token: token).body
            if let status = job["status"] as? String, ["succeeded", "failed", "canceled"].contains(status) { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("job \(id) did not finish")
    }

    func createModel(_ name: String, token: String, extra: [String: Any] = [:]) async throws -> String {
        let result = try await json(.post, "/api/v1/models", ["name": name].merging(extra) { $1 }, token: token)
        guard result.status == .created, let id = result.body["id"] as? String else { throw TestFailure("create model: \(result.status) \(result.body)") }
        return id
    }
}

let solarText = Data("""
Solar panels convert sunlight into electricity. Photovoltaic cells are made of silicon.

Wind turbines use the wind to turn a generator. Offshore wind farms are large.
""".utf8)

let batteryMarkdown = Data("""
# Storage

Batteries store electricity for the night.

## Chemistry

Lithium iron phosphate cells are safe and last long.
""".utf8)

@Suite("RAG models, uploads, documents, jobs and search")
struct KnowledgeAPITests {
    @Test("create, list, read, change and delete RAG models with validation")
    func modelLifecycle() async throws {
        try await withTestApp { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let created = try await client.json(.post, "/api/v1/models", [
                "name": "Energy", "description": "notes", "chunking": ["size_tokens": 64, "overlap_tokens": 8],
                "retrieval": ["mode": "keyword", "top_k": 3], "llm": ["temperature": 0.5, "system_prompt": "Be brief."],
            ], token: token)
            #expect(created.status == .created)
            #expect((created.body["chunking"] as? [String: Any])?["size_tokens"] as? Int == 64)
            #expect(created.body["embedding"] as? String == "hashing-256" && created.body["status"] as? String == "ready")
            let id = try #require(created.body["id"] as? String)

            #expect(try await client.json(.post, "/api/v1/models", ["name": "Energy"], token: token).status == .conflict)
            for bad: [String: Any] in [
                ["name": ""], ["name": " padded"], ["name": "x", "chunking": ["size_tokens": 4000]],
                ["name": "x", "chunking": ["size_tokens": 64, "overlap_tokens": 40]], ["name": "x", "retrieval": ["top_k": 0]],
                ["name": "x", "retrieval": ["mode": "magic"]], ["name": "x", "visibility": "public"], ["name": "x", "embedding": "gpt-9"],
                ["name": "x", "llm": ["temperature": 3]],
            ] {
                let result = try await client.json(.post, "/api/v1/models", bad, token: token)
                #expect(result.status == .unprocessableContent, "\(bad) → \(result.status)")
                #expect(result.body["field"] != nil || result.body["code"] != nil)
            }

            let patched = try await client.json(.patch, "/api/v1/models/\(id)", ["chunking": ["size_tokens": 100]], token: token)
            #expect(patched.status == .ok && patched.body["status"] as? String == "needs_training")
            let renamed = try await client.json(.patch, "/api/v1/models/\(id)", ["name": "Power", "visibility": "shared"], token: token)
            #expect(renamed.body["name"] as? String == "Power" && renamed.body["visibility"] as? String == "shared")

            let list = try await client.json(.get, "/api/v1/models", token: token)
            #expect(list.body["total"] as? Int == 1)
            let detail = try await client.json(.get, "/api/v1/models/\(id)", token: token)
            #expect(detail.body["document_count"] as? Int == 0 && detail.body["chunk_count"] as? Int == 0)

            #expect(try await client.json(.delete, "/api/v1/models/\(id)", token: token).status == .noContent)
            #expect(try await client.json(.get, "/api/v1/models/\(id)", token: token).status == .notFound)
        }
    }

    @Test("upload text and Markdown, ingest them, search, then delete: the deleted document never comes back")
    func ingestSearchDelete() async throws {
        try await withTestApp { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("Energy", token: token, extra: ["chunking": ["size_tokens": 32, "overlap_tokens": 4]])

            let upload = try await client.upload("/api/v1/models/\(model)/documents", files: [("solar.txt", solarText), ("storage.md", batteryMarkdown)],
                                                 fields: [("tags", "energy, notes"), ("metadata", #"{"source":"test"}"#)], token: token)
            #expect(upload.status == .accepted)
            let files = try #require(upload.body["documents"] as? [[String: Any]])
            #expect(files.map { $0["status"] as? String } == ["queued", "queued"])
            let jobID = try #require(upload.body["job_id"] as? String)
            let job = try await client.waitForJob(jobID, token: token)
            #expect(job["status"] as? String == "succeeded")
            #expect((job["progress"] as? [String: Any])?["done"] as? Int == 2)

            let documents = try await client.json(.get, "/api/v1/models/\(model)/documents?status=ready", token: token)
            #expect(documents.body["total"] as? Int == 2)
            let markdownID = try #require(files[1]["document_id"] as? String)
            let markdown = try await client.json(.get, "/api/v1/documents/\(markdownID)", token: token).body
            #expect(markdown["format"] as? String == "markdown" && markdown["title"] as? String == "Storage")
            #expect(markdown["tags"] as? [String] == ["energy", "notes"] && (markdown["metadata"] as? [String: Any])?["source"] as? String == "test")
            let chunks = try await client.json(.get, "/api/v1/documents/\(markdownID)/chunks", token: token).body
            let chunkItems = try #require(chunks["items"] as? [[String: Any]])
            #expect(!chunkItems.isEmpty && (chunks["total"] as? Int) == chunkItems.count)

            // The original comes back byte for byte.
            let original = try await client.execute(uri: "/api/v1/documents/\(markdownID)/content", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                ($0.status, Data(buffer: $0.body), $0.headers[.contentType])
            }
            #expect(original.0 == .ok && original.1 == batteryMarkdown && original.2?.hasPrefix("text/markdown") == true)

            for mode in ["keyword", "vector", "hybrid"] {
                let search = try await client.json(.post, "/api/v1/models/\(model)/search", ["query": "lithium phosphate cells", "mode": mode, "top_k": 3], token: token)
                #expect(search.status == .ok)
                let results = try #require(search.body["results"] as? [[String: Any]])
                #expect(results.first?["document_id"] as? String == markdownID, "\(mode): \(results)")
                #expect(results.first?["document_title"] as? String == "Storage")
            }
            let filtered = try await client.json(.post, "/api/v1/models/\(model)/search", ["query": "lithium phosphate cells", "filters": ["document_ids": [files[0]["document_id"]!]]], token: token)
            #expect((filtered.body["results"] as? [[String: Any]])?.allSatisfy { $0["document_id"] as? String == files[0]["document_id"] as? String } == true)

            let byMetadata = try await client.json(.post, "/api/v1/models/\(model)/search", ["query": "cells", "filters": ["metadata": ["source": "test"]]], token: token)
            #expect((byMetadata.body["results"] as? [[String: Any]])?.isEmpty == false)
            let noMatch = try await client.json(.post, "/api/v1/models/\(model)/search", ["query": "cells", "filters": ["metadata": ["source": "other"]]], token: token)
            #expect((noMatch.body["results"] as? [[String: Any]])?.isEmpty == true)

            // The same content again is not ingested twice.
            let again = try await client.upload("/api/v1/upload", files: [("copy.md", batteryMarkdown)], fields: [("model_id", model)], token: token)
            #expect(again.status == .accepted && again.body["job_id"] is NSNull)
            #expect((again.body["documents"] as? [[String: Any]])?.first?["status"] as? String == "duplicate")
            #expect((again.body["documents"] as? [[String: Any]])?.first?["document_id"] as? String == markdownID)

            #expect(try await client.json(.delete, "/api/v1/documents/\(markdownID)", token: token).status == .noContent)
            for mode in ["keyword", "vector", "hybrid"] {
                let results = try await client.json(.post, "/api/v1/models/\(model)/search", ["query": "lithium phosphate cells", "mode": mode], token: token).body["results"] as? [[String: Any]] ?? []
                #expect(results.allSatisfy { $0["document_id"] as? String != markdownID })
            }
            #expect(try await client.json(.get, "/api/v1/documents/\(markdownID)", token: token).status == .notFound)
            #expect(try await client.json(.get, "/api/v1/documents/\(markdownID)/content", token: token).status == .notFound)
            let detail = try await client.json(.get, "/api/v1/models/\(model)", token: token).body
            #expect(detail["document_count"] as? Int == 1)
        }
    }

    @Test("train rebuilds into a new generation with the new settings; a document deleted meanwhile stays gone")
    func train() async throws {
        try await withTestApp { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("T", token: token, extra: ["chunking": ["size_tokens": 64, "overlap_tokens": 0]])
            let many = (0..<6).map { i in ("doc\(i).txt", Data("Document \(i) talks about topic\(i). \(String(repeating: "filler words here. ", count: 20))".utf8)) }
            let upload = try await client.upload("/api/v1/models/\(model)/documents", files: many + [("storage.md", batteryMarkdown)], token: token)
            _ = try await client.waitForJob(try #require(upload.body["job_id"] as? String), token: token)
            let ids = try #require(upload.body["documents"] as? [[String: Any]]).compactMap { $0["document_id"] as? String }
            let before = try await client.json(.get, "/api/v1/documents/\(ids[0])/chunks", token: token).body["total"] as? Int ?? 0

            #expect(try await client.json(.patch, "/api/v1/models/\(model)", ["chunking": ["size_tokens": 16, "overlap_tokens": 0]], token: token).body["status"] as? String == "needs_training")
            let started = try await client.json(.post, "/api/v1/models/\(model)/train", token: token)
            #expect(started.status == .accepted && started.body["kind"] as? String == "train")
            // Delete one document while training runs (or just after): it must never come back.
            #expect(try await client.json(.delete, "/api/v1/documents/\(ids[6])", token: token).status == .noContent)
            let job = try await client.waitForJob(try #require(started.body["id"] as? String), token: token)
            #expect(job["status"] as? String == "succeeded")

            let detail = try await client.json(.get, "/api/v1/models/\(model)", token: token).body
            #expect(detail["status"] as? String == "ready" && detail["generation"] as? Int == 2 && detail["last_trained_at"] is String)
            let chunks = try await client.json(.get, "/api/v1/documents/\(ids[0])/chunks?limit=100", token: token).body
            let items = try #require(chunks["items"] as? [[String: Any]])
            #expect((chunks["total"] as? Int ?? 0) > before)
            #expect(items.allSatisfy { ($0["token_count"] as? Int ?? 99) <= 16 })
            let results = try await client.json(.post, "/api/v1/models/\(model)/search", ["query": "Document 3 topic3", "mode": "keyword"], token: token).body["results"] as? [[String: Any]] ?? []
            #expect(results.first?["document_id"] as? String == ids[3])
            let gone = try await client.json(.post, "/api/v1/models/\(model)/search", ["query": "lithium phosphate cells", "top_k": 20], token: token).body["results"] as? [[String: Any]] ?? []
            #expect(gone.allSatisfy { $0["document_id"] as? String != ids[6] })
        }
    }

    @Test("PDF pages, DOCX and HTML headings reach the chunks; encrypted and scanned PDFs end failed with the reason")
    func formats() async throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("HyperionExtractTests/Fixtures")
        @Sendable func fixture(_ name: String) throws -> Data { try Data(contentsOf: fixtures.appendingPathComponent(name)) }
        try await withTestApp { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("Formats", token: token, extra: ["chunking": ["size_tokens": 32, "overlap_tokens": 0]])
            let html = Data("<html><head><title>Guide</title><script>alert(1)</script></head><body><h1>Setup</h1><p>Install &amp; run the tool.</p><h2>Ports</h2><p>It listens on port 8080.</p></body></html>".utf8)
            let upload = try await client.upload("/api/v1/models/\(model)/documents", files: [
                ("report.txt", try fixture("two-pages.pdf")), ("sample.docx", try fixture("sample.docx")), ("guide.html", html),
                ("scan.pdf", try fixture("scanned.pdf")), ("secret.pdf", try fixture("encrypted.pdf")),
            ], token: token)
            #expect(upload.status == .accepted)
            let files = try #require(upload.body["documents"] as? [[String: Any]])
            // The request only sniffs formats; what extraction finds is the job's to report, on each document.
            #expect(files.map { $0["status"] as? String } == ["queued", "queued", "queued", "queued", "queued"])
            _ = try await client.waitForJob(try #require(upload.body["job_id"] as? String), token: token)
            let secret = try await client.json(.get, "/api/v1/documents/\(files[4]["document_id"] as! String)", token: token).body
            #expect(secret["status"] as? String == "failed" && (secret["error"] as? String)?.contains("encrypted") == true, "\(secret)")

            let pdf = try await client.json(.get, "/api/v1/documents/\(files[0]["document_id"] as! String)", token: token).body
            #expect(pdf["format"] as? String == "pdf" && pdf["page_count"] as? Int == 2 && pdf["status"] as? String == "ready")
            let pdfChunks = try #require(try await client.json(.get, "/api/v1/documents/\(files[0]["document_id"] as! String)/chunks", token: token).body["items"] as? [[String: Any]])
            #expect(Set(pdfChunks.compactMap { $0["page"] as? Int }) == [1, 2])
            let docx = try await client.json(.get, "/api/v1/documents/\(files[1]["document_id"] as! String)", token: token).body
            #expect(docx["format"] as? String == "docx" && docx["status"] as? String == "ready")
            let htmlChunks = try #require(try await client.json(.get, "/api/v1/documents/\(files[2]["document_id"] as! String)/chunks", token: token).body["items"] as? [[String: Any]])
            #expect(htmlChunks.contains { ($0["heading_path"] as? [String]) == ["Setup", "Ports"] })
            #expect(htmlChunks.allSatisfy { !($0["text"] as? String ?? "").contains("alert") })
            let scan = try await client.json(.get, "/api/v1/documents/\(files[3]["document_id"] as! String)", token: token).body
            #expect(scan["status"] as? String == "failed" && scan["error"] as? String == "no extractable text")
        }
    }

    @Test("bad uploads: unsupported type 415, too large 413, one bad file never sinks the others")
    func badUploads() async throws {
        try await withTestApp(["upload.max_file_size": "4096"]) { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("M", token: token)
            let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
            let binary = try await client.upload("/api/v1/models/\(model)/documents", files: [("image.txt", png)], token: token)
            #expect(binary.status == .unsupportedMediaType && (binary.body["detail"] as? String)?.contains("image.txt") == true)
            let invalidUTF8 = try await client.upload("/api/v1/models/\(model)/documents", files: [("bad.txt", Data([0x66, 0xFF, 0xFE, 0x41, 0x80]))], token: token)
            #expect(invalidUTF8.status == .unsupportedMediaType)
            let big = try await client.upload("/api/v1/models/\(model)/documents", files: [("big.txt", Data(repeating: 0x61, count: 10_000))], token: token)
            #expect(big.status == .contentTooLarge)

            let mixed = try await client.upload("/api/v1/models/\(model)/documents", files: [("image.png", png), ("good.txt", solarText)], token: token)
            #expect(mixed.status == .accepted)
            let results = try #require(mixed.body["documents"] as? [[String: Any]])
            #expect(results.map { $0["status"] as? String } == ["rejected", "queued"])
            #expect((results[0]["error"] as? [String: Any])?["status"] as? Int == 415)
            _ = try await client.waitForJob(try #require(mixed.body["job_id"] as? String), token: token)
            #expect(try await client.json(.get, "/api/v1/models/\(model)/documents", token: token).body["total"] as? Int == 1)

            let blank = try await client.upload("/api/v1/models/\(model)/documents", files: [("blank.txt", Data("   \n\n  ".utf8))], token: token)
            let blankFile = try #require((blank.body["documents"] as? [[String: Any]])?.first)
            #expect(blank.status == .accepted && blankFile["status"] as? String == "queued")
            _ = try await client.waitForJob(try #require(blank.body["job_id"] as? String), token: token)
            let blankDocument = try await client.json(.get, "/api/v1/documents/\(try #require(blankFile["document_id"] as? String))", token: token).body
            #expect(blankDocument["status"] as? String == "failed" && blankDocument["error"] as? String == "no extractable text")

            // Form problems.
            #expect(try await client.upload("/api/v1/models/\(model)/documents", files: [], fields: [("x", "y")], token: token).status == .unprocessableContent)
            #expect(try await client.upload("/api/v1/upload", files: [("a.txt", solarText)], token: token).status == .unprocessableContent)
            #expect(try await client.upload("/api/v1/upload", files: [("a.txt", solarText)], fields: [("model_id", "nope")], token: token).status == .unprocessableContent)
            #expect(try await client.upload("/api/v1/models/\(model)/documents", files: [("a.txt", solarText)], fields: [("metadata", "[1]")], token: token).status == .unprocessableContent)
            let notMultipart = try await client.json(.post, "/api/v1/models/\(model)/documents", ["file": "x"], token: token)
            #expect(notMultipart.status == .unsupportedMediaType)

            for bad: [String: Any] in [["query": ""], ["query": "   "], ["query": "x", "top_k": 0], ["query": "x", "mode": "fuzzy"], ["query": String(repeating: "a", count: 4001)]] {
                #expect(try await client.json(.post, "/api/v1/models/\(model)/search", bad, token: token).status == .unprocessableContent)
            }
        }
    }
}
