import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
@testable import HyperionStorage
import Logging
import Testing

@testable import HyperionServer

/// Findings of the hostile-input review (issue "Hardening"): each test failed before its fix.
@Suite("Hardening")
struct HardeningTests {
    /// Finding 10: `report;v2 final.txt` was stored as `"report`, and `;name=` in a file name replaced the field.
    @Test("multipart parameters honour quotes, escapes and RFC 5987 names")
    func multipartParameters() {
        let p = MultipartForm.parameters(#"form-data; name="file"; filename="report;v2 final.txt""#)
        #expect(p["name"] == "file" && p["filename"] == "report;v2 final.txt")
        let injected = MultipartForm.parameters(#"form-data; name="file"; filename="x.txt;name=other""#)
        #expect(injected["name"] == "file" && injected["filename"] == "x.txt;name=other")
        let escaped = MultipartForm.parameters(#"form-data; name="file"; filename="say \"hi\" \\ bye.txt""#)
        #expect(escaped["filename"] == #"say "hi" \ bye.txt"#)
        let extended = MultipartForm.parameters("form-data; name=file; filename=\"rates.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt")
        #expect(extended["name"] == "file" && extended["filename"] == "€ rates.txt")
        #expect(MultipartForm.parameters("form-data; name=\"a\"; name=\"b\"")["name"] == "a", "the first of a repeated name counts")
        #expect(MultipartForm.parameters("form-data; name=\"unterminated")["name"] == "unterminated")
        #expect(MultipartForm.boundary(of: "multipart/form-data; boundary=\"a;b\"") == "a;b")
        #expect(MultipartForm.boundary(of: "multipart/form-data; charset=utf-8; boundary=xyz") == "xyz")
    }

    /// Hardening 12: a token signed with the right secret but naming an unknown `kid` was accepted.
    @Test("a token whose kid names no configured key is refused, even with a valid signature")
    func unknownKid() async throws {
        let settings = try AuthSettings(reader: testReader(["auth.jwt_secret": String(repeating: "s", count: 40)]))
        let keys = try SigningKeys.load(settings: settings, dataDirectory: URL(fileURLWithPath: "/nonexistent"))
        let user = User(email: "a@example.com", role: .admin, passwordHash: "")
        let service = await TokenService.make(keys: keys, settings: settings)
        let forged = SigningKeys(current: .init(kid: "0000000000000000", secret: keys.current.secret), previous: [])
        let token = try await TokenService.make(keys: forged, settings: settings).issue(for: user).token
        #expect(await service.verify(token) == nil)
        #expect(await service.verify(try await service.issue(for: user).token)?.userID == user.id, "the real kid still works")
        #expect(TokenService.headerKid(token) == "0000000000000000" && TokenService.headerKid("garbage") == nil)
    }

    /// Hardening 8: 60 signups from one address in 25 s, queueing bcrypt for everyone.
    @Test("signups per address are limited; past the limit 429 with Retry-After, before any hashing")
    func signupLimit() async throws {
        try await withTestApp(["auth.signups_per_hour": "3"]) { client in
            for i in 0..<3 { try await client.signup("u\(i)@example.com") }
            let refused = try await client.json(.post, "/api/v1/auth/signup", ["email": "u9@example.com", "password": "12345678"])
            #expect(refused.status == .tooManyRequests && refused.body["code"] as? String == "too_many_signups")
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 > 3_000)
        }
    }

    @Test("trusted proxies: addresses and CIDR ranges, IPv4 and IPv6; bad entries name the key")
    func trustedProxies() throws {
        let trusted = try AddressRanges(["10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"])
        for inside in ["10.1.2.3", "192.168.1.7", "fd12::1", "::1", "::ffff:10.9.9.9"] { #expect(trusted.contains(inside), "\(inside)") }
        for outside in ["11.0.0.1", "192.168.1.8", "fe80::1", "unknown", "", "10.0.0.0/8"] { #expect(!trusted.contains(outside), "\(outside)") }
        #expect(try AddressRanges(["0.0.0.0/0"]).contains("8.8.8.8"))
        for bad in ["10.0.0.0/33", "nonsense", "1.2.3.4/x", "::/129"] {
            #expect { _ = try AddressRanges([bad]) } throws: { ($0 as? HyperionError)?.field == "http.trusted_proxies" }
        }
        #expect(ClientAddressMiddleware.client(forwardedFor: "203.0.113.9, 10.0.0.2", trusted: trusted) == "203.0.113.9")
        #expect(ClientAddressMiddleware.client(forwardedFor: "6.6.6.6, 203.0.113.9", trusted: trusted) == "203.0.113.9",
                "a client cannot choose its address by sending the header itself: the rightmost untrusted hop counts")
        #expect(ClientAddressMiddleware.client(forwardedFor: "10.0.0.3, 10.0.0.2", trusted: trusted) == "10.0.0.3")
        #expect(ClientAddressMiddleware.client(forwardedFor: "not-an-ip", trusted: trusted) == nil)
    }

    /// Hardening 7: plain users could send any model name to the operator's provider, paid with its key.
    @Test("plain users choose only the default or allowed LLM models; admins any; unchanged choices stay editable")
    func modelAllowList() async throws {
        let scripted = ScriptedChatModel(providerName: "scripted", defaultModel: "tiny-1") { _ in "ok" }
        let remote = ["llm.providers": "remote", "llm.remote.kind": "openai", "llm.remote.base_url": "http://127.0.0.1:9/v1",
                      "llm.remote.model": "base-1", "llm.remote.allowed_models": "small-2", "llm.remote.max_retries": "0",
                      "llm.remote.connect_timeout": "1"]
        try await withTestApp(remote, chatModels: ["scripted": scripted]) { client in
            try await client.signup("admin@example.com")
            let admin = try await client.login("admin@example.com").access
            try await client.signup("user@example.com")
            let user = try await client.login("user@example.com").access
            let refused = try await client.json(.post, "/api/v1/generate", ["provider": "remote", "model": "gpt-expensive", "prompt": "hi"], token: user)
            #expect(refused.status == .forbidden && refused.body["code"] as? String == "model_not_allowed" && refused.body["field"] as? String == "model")
            #expect((refused.body["detail"] as? String)?.contains("'base-1', 'small-2'") == true, "\(refused.body)")
            let allowed = try await client.json(.post, "/api/v1/generate", ["provider": "remote", "model": "small-2", "prompt": "hi"], token: user)
            #expect(allowed.status == .badGateway, "allowed, so it reaches the (absent) provider: \(allowed.status)")
            #expect(try await client.json(.post, "/api/v1/generate", ["provider": "scripted", "model": "other", "prompt": "hi"], token: user).status == .forbidden)
            #expect(try await client.json(.post, "/api/v1/generate", ["provider": "scripted", "model": "tiny-1", "prompt": "hi"], token: user).status == .ok)
            #expect(try await client.json(.post, "/api/v1/generate", ["provider": "scripted", "model": "other", "prompt": "hi"], token: admin).status == .ok)

            let denied = try await client.json(.post, "/api/v1/models", ["name": "Mine", "llm": ["provider": "remote", "model": "gpt-expensive"]], token: user)
            #expect(denied.status == .forbidden && denied.body["field"] as? String == "llm.model")
            let created = try await client.json(.post, "/api/v1/models", ["name": "Mine", "llm": ["provider": "remote", "model": "small-2"]], token: user)
            #expect(created.status == .created)
            let id = try #require(created.body["id"] as? String)
            #expect(try await client.json(.patch, "/api/v1/models/\(id)", ["llm": ["model": "gpt-expensive"]], token: user).status == .forbidden)
            #expect(try await client.json(.patch, "/api/v1/models/\(id)", ["llm": ["model": "gpt-expensive"]], token: admin).status == .ok)
            #expect(try await client.json(.patch, "/api/v1/models/\(id)", ["description": "still mine"], token: user).status == .ok,
                    "an owner may edit other fields of a model an admin pointed at another LLM model")
        }
    }

    @Test("file names with ; and = arrive whole; a control character refuses only that file")
    func uploadNames() async throws {
        try await withTestApp { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("Names", token: token)
            let upload = try await client.upload("/api/v1/models/\(model)/documents",
                                                 files: [("report;v2 final.txt", solarText), ("x.md;name=other", batteryMarkdown), ("bad\u{0}name.txt", Data("other words here".utf8))],
                                                 token: token)
            #expect(upload.status == .accepted)
            let files = try #require(upload.body["documents"] as? [[String: Any]])
            #expect(files.map { $0["filename"] as? String } == ["report;v2 final.txt", "x.md;name=other", "bad\u{0}name.txt"])
            #expect(files.map { $0["status"] as? String } == ["queued", "queued", "rejected"])
            #expect((files[2]["error"] as? [String: Any])?["code"] as? String == "invalid_filename")
            let job = try await client.waitForJob(try #require(upload.body["job_id"] as? String), token: token)
            #expect(job["status"] as? String == "succeeded")
            let listed = try await client.json(.get, "/api/v1/models/\(model)/documents", token: token).body["items"] as? [[String: Any]] ?? []
            #expect(Set(listed.compactMap { $0["filename"] as? String }) == ["report;v2 final.txt", "x.md;name=other"])
            #expect(listed.allSatisfy { $0["status"] as? String == "ready" })
        }
    }

    /// Finding 3a: a request refused part-way left a `queued` document with no job, and its blob. Here the
    /// second file's blob cannot be written (a plain file sits where its folder must go): the request fails as a
    /// whole, and the first file's blob, written by this request, is removed again.
    @Test("an upload that fails part-way leaves no document, no job and no blob")
    func uploadIsAllOrNothing() async throws {
        let dir = testDataDirectory("all-or-nothing")
        let blocked = BlobStore.sha256(batteryMarkdown)
        try FileManager.default.createDirectory(atPath: dir + "/files", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: dir + "/files/" + blocked.prefix(2), contents: Data("in the way".utf8)))
        let app = try await testApp(dataDirectory: dir)
        let modelID = Carry("")
        try await app.test(.router) { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("Atomic", token: token)
            modelID.value = model
            let refused = try await client.upload("/api/v1/models/\(model)/documents", files: [("good.txt", solarText), ("more.md", batteryMarkdown)], token: token)
            #expect(refused.status == .internalServerError)
            #expect(try await client.json(.get, "/api/v1/models/\(model)/documents", token: token).body["total"] as? Int == 0)
            #expect(!FileManager.default.fileExists(atPath: BlobStore(root: URL(fileURLWithPath: dir + "/files")).url(BlobStore.sha256(solarText)).path),
                    "the blob this request wrote is gone")
            // Once the way is clear, the same files go through and are not "duplicates" of anything.
            try FileManager.default.removeItem(atPath: dir + "/files/" + blocked.prefix(2))
            let accepted = try await client.upload("/api/v1/models/\(model)/documents", files: [("good.txt", solarText), ("more.md", batteryMarkdown)], token: token)
            #expect((accepted.body["documents"] as? [[String: Any]])?.map { $0["status"] as? String } == ["queued", "queued"])
            #expect(try await client.waitForJob(try #require(accepted.body["job_id"] as? String), token: token)["status"] as? String == "succeeded")
        }
        let store = try await Store.open(try ServerSettings(reader: testReader(["data_dir": dir])).store, logger: Logger(label: "test"))
        let jobs = try await store.count("jobs")
        try await store.close()
        #expect(jobs == 1, "only the accepted upload's job")
    }

    /// Finding 3b: a UTF-16 text with a NUL past the sniffed prefix failed its whole job with "internal error" and
    /// left the document `processing` and the others `queued`.
    @Test("one document the database refuses fails alone, with its reason; a re-upload retries it")
    func oneBadDocumentFailsAlone() async throws {
        var bytes = Data([0xFF, 0xFE])
        for scalar in (String(repeating: "Plain words in a long text. ", count: 2_400) + "\u{0}" + " tail words.").utf16 {
            bytes.append(UInt8(scalar & 0xFF)); bytes.append(UInt8(scalar >> 8))
        }
        let utf16 = bytes
        try await withTestApp { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("Mixed", token: token)
            let upload = try await client.upload("/api/v1/models/\(model)/documents",
                                                 files: [("wide.txt", utf16), ("solar.txt", solarText), ("storage.md", batteryMarkdown)], token: token)
            #expect(upload.status == .accepted)
            let files = try #require(upload.body["documents"] as? [[String: Any]])
            let job = try await client.waitForJob(try #require(upload.body["job_id"] as? String), token: token)
            #expect(job["status"] as? String == "succeeded" && (job["error"] as? String)?.contains("1 of 3") == true, "\(job)")
            var statuses: [String] = []
            for file in files {
                let document = try await client.json(.get, "/api/v1/documents/\(try #require(file["document_id"] as? String))", token: token).body
                statuses.append(document["status"] as? String ?? "?")
                if document["filename"] as? String == "wide.txt" { #expect((document["error"] as? String)?.contains("NUL") == true, "\(document)") }
            }
            #expect(statuses == ["failed", "ready", "ready"])
            // Uploading the failed file again queues it again (that is how a failure is retried).
            let again = try await client.upload("/api/v1/models/\(model)/documents", files: [("wide.txt", utf16)], token: token)
            #expect((again.body["documents"] as? [[String: Any]])?.first?["status"] as? String == "queued")
            #expect((again.body["documents"] as? [[String: Any]])?.first?["document_id"] as? String == files[0]["document_id"] as? String)
            _ = try await client.waitForJob(try #require(again.body["job_id"] as? String), token: token)
        }
    }

    /// Finding 2 (second half): cancelling answered `canceled`, but the document still ended `ready`.
    @Test("cancel stops the running document between batches; every document of the job ends failed, retryable")
    func cancelReallyCancels() async throws {
        let dir = testDataDirectory("cancel")
        let app = try await testApp(dataDirectory: dir, embedder: SlowEmbedder(delay: .milliseconds(200)), ["jobs.workers": "1"])
        try await app.test(.router) { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("Long", token: token, extra: ["chunking": ["size_tokens": 16, "overlap_tokens": 0]])
            // ~1,000 chunks: 16 embedding batches of 200 ms.
            let long = Data((0..<1_000).map { "Sentence number \($0) has some words." }.joined(separator: " ").utf8)
            let upload = try await client.upload("/api/v1/models/\(model)/documents", files: [("long.txt", long), ("short.txt", solarText)], token: token)
            let jobID = try #require(upload.body["job_id"] as? String)
            for _ in 0..<200 {
                if try await client.json(.get, "/api/v1/jobs/\(jobID)", token: token).body["status"] as? String == "running" { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(300))
            let canceled = try await client.json(.post, "/api/v1/jobs/\(jobID)/cancel", token: token)
            #expect(canceled.status == .ok && canceled.body["status"] as? String == "canceled")
            // The worker sees it at its next checkpoint (one batch): no document may stay queued or processing.
            var statuses: [String] = []
            for _ in 0..<100 {
                let items = try await client.json(.get, "/api/v1/models/\(model)/documents", token: token).body["items"] as? [[String: Any]] ?? []
                statuses = items.compactMap { $0["status"] as? String }
                if statuses.count == 2, statuses.allSatisfy({ $0 == "failed" }) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(statuses == ["failed", "failed"])
            let items = try await client.json(.get, "/api/v1/models/\(model)/documents", token: token).body["items"] as? [[String: Any]] ?? []
            #expect(items.allSatisfy { ($0["error"] as? String)?.contains("canceled") == true })
            #expect(try await client.json(.get, "/api/v1/jobs/\(jobID)", token: token).body["status"] as? String == "canceled")
        }
    }

    /// Hardening finding 2: another user's one-line upload stayed queued for minutes behind a long job.
    @Test("another user's small upload is not stuck behind one user's long job")
    func fairIngestion() async throws {
        let app = try await testApp(dataDirectory: testDataDirectory("fair"), embedder: SlowEmbedder(delay: .milliseconds(150)))
        try await app.test(.router) { client in
            try await client.signup("admin@example.com")
            try await client.signup("big@example.com")
            try await client.signup("small@example.com")
            let big = try await client.login("big@example.com").access, small = try await client.login("small@example.com").access
            let bigModel = try await client.createModel("Big", token: big, extra: ["chunking": ["size_tokens": 16, "overlap_tokens": 0]])
            let smallModel = try await client.createModel("Small", token: small)
            let long = Data((0..<1_500).map { "Sentence number \($0) has some words." }.joined(separator: " ").utf8)
            // Two long jobs of one user: with one running job per user, the second waits, the other user's does not.
            var bigJobs: [String] = []
            for name in ["long1.txt", "long2.txt"] {
                let upload = try await client.upload("/api/v1/models/\(bigModel)/documents", files: [(name, long + Data(name.utf8))], token: big)
                bigJobs.append(try #require(upload.body["job_id"] as? String))
            }
            try await Task.sleep(for: .milliseconds(200))
            let upload = try await client.upload("/api/v1/models/\(smallModel)/documents", files: [("one.txt", solarText)], token: small)
            let smallJob = try await client.waitForJob(try #require(upload.body["job_id"] as? String), token: small)
            #expect(smallJob["status"] as? String == "succeeded")
            let first = try await client.json(.get, "/api/v1/jobs/\(bigJobs[0])", token: big).body["status"] as? String
            let second = try await client.json(.get, "/api/v1/jobs/\(bigJobs[1])", token: big).body["status"] as? String
            #expect(first == "running" && second == "queued", "the small job finished while the big one ran: \(first ?? "?"), \(second ?? "?")")
            for id in bigJobs { _ = try await client.json(.post, "/api/v1/jobs/\(id)/cancel", token: big) }
        }
    }

    /// Hardening finding 9: loaded indexes were never released. With a budget of one byte every use releases the
    /// others (saved first); searches stay right, deletes stay deleted, ingestion into a released index is kept.
    @Test("index memory is bounded: released indexes reload from their files with the same results")
    func indexCacheIsBounded() async throws {
        try await withTestApp(["index.cache_bytes": "1"]) { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let solar = try await client.createModel("Solar", token: token), storage = try await client.createModel("Storage", token: token)
            func ingest(_ model: String, _ files: [(String, Data)]) async throws -> [String] {
                let upload = try await client.upload("/api/v1/models/\(model)/documents", files: files, token: token)
                #expect(try await client.waitForJob(try #require(upload.body["job_id"] as? String), token: token)["status"] as? String == "succeeded")
                return (upload.body["documents"] as? [[String: Any]] ?? []).compactMap { $0["document_id"] as? String }
            }
            func top(_ model: String, _ query: String) async throws -> [String] {
                let results = try await client.json(.post, "/api/v1/models/\(model)/search", ["query": query, "top_k": 5], token: token).body["results"] as? [[String: Any]]
                return (results ?? []).compactMap { $0["document_id"] as? String }
            }
            let solarIDs = try await ingest(solar, [("solar.txt", solarText), ("extra.txt", Data("Wind turbines turn in the breeze.".utf8))])
            let storageIDs = try await ingest(storage, [("storage.md", batteryMarkdown)])
            for _ in 0..<2 {
                #expect(try await top(solar, "photovoltaic silicon cells").first == solarIDs[0])
                #expect(try await top(storage, "lithium batteries").first == storageIDs[0])
            }
            #expect(try await client.json(.delete, "/api/v1/documents/\(solarIDs[0])", token: token).status == .noContent)
            _ = try await top(storage, "lithium batteries")  // releases Solar again
            #expect(try await !top(solar, "photovoltaic silicon cells").contains(solarIDs[0]), "a delete survives a release")
            let more = try await ingest(solar, [("tides.txt", Data("Tidal power uses the moon's pull on the oceans.".utf8))])
            _ = try await top(storage, "lithium batteries")
            #expect(try await top(solar, "tidal power moon oceans").first == more[0], "ingestion into a released index is kept")
        }
    }

    /// Suspected in the review: deleting a document counted the blob's users, then removed it, racing an upload of
    /// the same bytes into another model (which writes the blob, then its row): that upload could lose its file.
    @Test("deleting a document while the same bytes are uploaded elsewhere never loses the new document's file")
    func blobRemovalDoesNotRaceUploads() async throws {
        try await withTestApp { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let first = try await client.createModel("First", token: token), second = try await client.createModel("Second", token: token)
            for round in 0..<12 {
                let bytes = Data("Round \(round): the same words in two knowledge bases.".utf8)
                let old = try await client.upload("/api/v1/models/\(first)/documents", files: [("a.txt", bytes)], token: token)
                let oldID = try #require((old.body["documents"] as? [[String: Any]])?.first?["document_id"] as? String)
                async let deleted = client.json(.delete, "/api/v1/documents/\(oldID)", token: token)
                async let added = client.upload("/api/v1/models/\(second)/documents", files: [("b.txt", bytes)], token: token)
                let (deletion, upload) = try await (deleted, added)
                #expect(deletion.status == .noContent && upload.status == .accepted)
                let newID = try #require((upload.body["documents"] as? [[String: Any]])?.first?["document_id"] as? String)
                try await client.execute(uri: "/api/v1/documents/\(newID)/content", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == .ok && response.body.readableBytes == bytes.count, "round \(round): the original file is gone")
                }
            }
        }
    }

    /// Hardening finding 9: a 2.6 MB file of 100,000 headings made 100,000 chunks (one per section), a job of
    /// 40 s and a gigabyte at the peak. One document's chunks are capped; past it, it fails with the reason.
    @Test("a document making more chunks than jobs.max_chunks_per_document fails with the reason; others go on")
    func chunkCap() async throws {
        try await withTestApp(["jobs.max_chunks_per_document": "5"]) { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("Capped", token: token)
            let headings = Data((0..<10).map { "# Heading \($0)\nText \($0).\n" }.joined().utf8)
            let upload = try await client.upload("/api/v1/models/\(model)/documents", files: [("many.md", headings), ("solar.txt", solarText)], token: token)
            let job = try await client.waitForJob(try #require(upload.body["job_id"] as? String), token: token)
            #expect(job["status"] as? String == "succeeded" && (job["error"] as? String)?.contains("1 of 2") == true)
            let id = try #require((upload.body["documents"] as? [[String: Any]])?.first?["document_id"] as? String)
            let document = try await client.json(.get, "/api/v1/documents/\(id)", token: token).body
            #expect(document["status"] as? String == "failed" && (document["error"] as? String)?.contains("10 chunks, more than the 5 allowed") == true, "\(document)")
        }
    }

    /// Per-user quotas: a user cannot fill the disk or the model list.
    @Test("quotas: RAG models 429, documents 429, bytes 413, all in the envelope; admins exempt")
    func quotas() async throws {
        try await withTestApp(["quota.models_per_user": "1", "quota.documents_per_user": "2", "quota.bytes_per_user": "1500"]) { client in
            try await client.signup("admin@example.com")
            let admin = try await client.login("admin@example.com").access
            try await client.signup("user@example.com")
            let user = try await client.login("user@example.com").access
            let model = try await client.createModel("One", token: user)
            let second = try await client.json(.post, "/api/v1/models", ["name": "Two"], token: user)
            #expect(second.status == .tooManyRequests && second.body["code"] as? String == "quota_exceeded")
            _ = try await client.createModel("A1", token: admin)
            _ = try await client.createModel("A2", token: admin)
            let small = Data("Short text about solar panels.".utf8)
            #expect(try await client.upload("/api/v1/models/\(model)/documents", files: [("a.txt", small)], token: user).status == .accepted)
            let many = try await client.upload("/api/v1/models/\(model)/documents", files: [("b.txt", small + Data("b".utf8)), ("c.txt", small + Data("c".utf8))], token: user)
            #expect(many.status == .tooManyRequests && many.body["code"] as? String == "quota_exceeded")
            let heavy = try await client.upload("/api/v1/models/\(model)/documents", files: [("big.txt", Data(repeating: 0x61, count: 1_600))], token: user)
            #expect(heavy.status == .contentTooLarge && heavy.body["code"] as? String == "quota_exceeded")
            #expect(try await client.json(.get, "/api/v1/models/\(model)/documents", token: user).body["total"] as? Int == 1, "nothing of a refused upload stays")
        }
    }

    /// Suspected in the review: `attempts` was counted but never checked, so a file that kills the process
    /// would be retried after every restart, forever.
    @Test("a job started more than jobs.max_attempts times is given up, its documents failed with the reason")
    func attemptsAreBounded() async throws {
        let dir = testDataDirectory("attempts")
        let ids = Carry((job: "", model: ""))
        let first = try await testApp(dataDirectory: dir, embedder: SlowEmbedder(delay: .seconds(2)))
        try await first.test(.router) { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("Poison", token: token)
            let upload = try await client.upload("/api/v1/models/\(model)/documents", files: [("poison.txt", solarText)], token: token)
            ids.value = (try #require(upload.body["job_id"] as? String), model)
            for _ in 0..<200 {
                if try await client.json(.get, "/api/v1/jobs/\(ids.value.job)", token: token).body["status"] as? String == "running" { return }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        // As if the process had died while working on it three times.
        let settings = try ServerSettings(reader: testReader(["data_dir": dir]))
        let store = try await Store.open(settings.store, logger: Logger(label: "test"))
        try await store.database.update("jobs").set("attempts", to: 3).run()
        try await store.close()
        let second = try await testApp(dataDirectory: dir, embedder: HashingEmbedder(), ["jobs.max_attempts": "3"])
        try await second.test(.router) { client in
            let token = try await client.login("owner@example.com").access
            let job = try await client.waitForJob(ids.value.job, token: token)
            #expect(job["status"] as? String == "failed" && (job["error"] as? String)?.contains("interrupted 3 times") == true, "\(job)")
            let items = try await client.json(.get, "/api/v1/models/\(ids.value.model)/documents", token: token).body["items"] as? [[String: Any]] ?? []
            #expect(items.count == 1 && items[0]["status"] as? String == "failed")
        }
    }
}

/// The multipart parser that replaced MultipartKit (which traps on a byte ≥ 128 in a header name).
@Suite("Multipart stream")
struct MultipartStreamTests {
    struct Part: Equatable { var headers: [String] = []; var body: [UInt8] = [] }

    func parse(_ body: [UInt8], boundary: String = "XyZ", chunk: Int) throws -> (parts: [Part], complete: Bool) {
        let parser = MultipartStream(boundary: boundary)
        var parts: [Part] = [], current = Part()
        parser.onHeader = { current.headers.append("\($0): \($1)") }
        parser.onBody = { current.body += $0 }
        parser.onPartComplete = { parts.append(current); current = Part() }
        for start in stride(from: 0, to: body.count, by: max(1, chunk)) { try parser.execute(body[start..<min(start + chunk, body.count)]) }
        return (parts, parser.isComplete)
    }

    let sample = Array("""
        preamble to ignore\r
        --XyZ\r
        Content-Disposition: form-data; name="a"\r
        \r
        first\r
        --XyZ  \r
        Content-Disposition: form-data; name="file"; filename="x.bin"\r
        Content-Type:   application/octet-stream  \r
        \r
        line one\r
        --XyZnot-a-boundary\r
        -XyZ--\r
        \r
        --XyZ--\r
        epilogue --XyZ\r
        garbage
        """.utf8)

    @Test("parts, headers and bodies come out the same whatever the chunking; look-alike delimiters are body")
    func everyChunking() throws {
        let expected = [
            Part(headers: [#"Content-Disposition: form-data; name="a""#], body: Array("first".utf8)),
            Part(headers: [#"Content-Disposition: form-data; name="file"; filename="x.bin""#, "Content-Type: application/octet-stream"],
                 body: Array("line one\r\n--XyZnot-a-boundary\r\n-XyZ--\r\n".utf8)),
        ]
        for chunk in 1...sample.count {
            let (parts, complete) = try parse(sample, chunk: chunk)
            #expect(parts == expected && complete, "chunk \(chunk)")
        }
    }

    @Test("bodies that start with the delimiter, empty bodies, binary bodies")
    func edges() throws {
        let binary = (0..<2_000).map { UInt8(truncatingIfNeeded: $0 &* 31) } + Array("\r\n--Xy".utf8)
        let body = Array("--XyZ\r\nA: 1\r\n\r\n\r\n--XyZ\r\nB: 2\r\n\r\n".utf8) + binary + Array("\r\n--XyZ--".utf8)
        for chunk in [1, 7, 64, 4096] {
            let (parts, complete) = try parse(body, chunk: chunk)
            #expect(complete && parts.count == 2 && parts[0].body.isEmpty && parts[1].body == binary)
        }
    }

    @Test("hostile and broken bodies are syntax errors or incomplete, never a crash")
    func hostile() throws {
        let highByteName: [UInt8] = Array("--XyZ\r\n".utf8) + [0xC3, 0xA9] + Array("name: x\r\n\r\nbody\r\n--XyZ--".utf8)
        #expect(throws: MultipartStream.SyntaxError.self) { try parse(highByteName, chunk: 5) }
        #expect(throws: MultipartStream.SyntaxError.self) { try parse(Array("--XyZ\r\nno colon here\r\n\r\n".utf8), chunk: 3) }
        #expect(throws: MultipartStream.SyntaxError.self) { try parse(Array("--XyZ garbage\r\n".utf8), chunk: 3) }
        let huge = Array("--XyZ\r\nName: ".utf8) + [UInt8](repeating: 0x61, count: 20_000)
        #expect(throws: MultipartStream.SyntaxError.self) { try parse(huge, chunk: 1000) }
        let manyFields = Array("--XyZ\r\n".utf8) + Array(String(repeating: "A: b\r\n", count: 65).utf8)
        #expect(throws: MultipartStream.SyntaxError.self) { try parse(manyFields, chunk: 100) }
        #expect(try parse(Array("--XyZ\r\nA: 1\r\n\r\ncut short".utf8), chunk: 4).complete == false)
        #expect(try parse(Array("no delimiter at all".utf8), chunk: 4).complete == false)
        // A long body costs linear work: 4 MB in 64 KB chunks.
        let long = Array("--XyZ\r\nA: 1\r\n\r\n".utf8) + [UInt8](repeating: 0x0D, count: 4 << 20) + Array("\r\n--XyZ--".utf8)
        let (parts, complete) = try parse(long, chunk: 65_536)
        #expect(complete && parts.first?.body.count == 4 << 20)
    }

    @Test("an upload whose body ends before the closing boundary is a 400, and nothing is stored")
    func truncatedUpload() async throws {
        try await withTestApp { client in
            try await client.signup("owner@example.com")
            let token = try await client.login("owner@example.com").access
            let model = try await client.createModel("Cut", token: token)
            let body = ByteBuffer(string: "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nSolar panels convert light.")
            try await client.execute(uri: "/api/v1/models/\(model)/documents", method: .post,
                                     headers: [.contentType: "multipart/form-data; boundary=XX", .authorization: "Bearer \(token)"], body: body) { response in
                #expect(response.status == .badRequest)
            }
            #expect(try await client.json(.get, "/api/v1/models/\(model)/documents", token: token).body["total"] as? Int == 0)
        }
    }
}
