import Foundation
import HyperionCore
@testable import HyperionStorage
import Testing

@Suite("RAG models, documents, chunks and jobs on SQLite and PostgreSQL")
struct KnowledgeStoreTests {
    func owner(_ store: Store, _ email: String = "o@example.com") async throws -> User {
        try await store.users.create(User(email: email, role: .user, passwordHash: "x"))
    }

    @Test("models: unique name per owner, visibility in lists, cascade delete", arguments: Backend.available)
    func models(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let a = try await owner(store, "a@example.com"), b = try await owner(store, "b@example.com")
            let mine = try await store.knowledgeBases.create(KnowledgeBase(ownerID: a.id, name: "Papers", embeddingModel: "m"))
            _ = try await store.knowledgeBases.create(KnowledgeBase(ownerID: a.id, name: "Shared", visibility: .shared, embeddingModel: "m"))
            _ = try await store.knowledgeBases.create(KnowledgeBase(ownerID: b.id, name: "Papers", embeddingModel: "m"))  // same name, other owner
            await #expect(throws: HyperionError.self) {
                _ = try await store.knowledgeBases.create(KnowledgeBase(ownerID: a.id, name: "Papers", embeddingModel: "m"))
            }
            #expect(try await store.knowledgeBases.list(visibleTo: b.id, role: .user, page: .init()).items.map(\.name).sorted() == ["Papers", "Shared"])
            #expect(try await store.knowledgeBases.list(visibleTo: a.id, role: .user, page: .init()).total == 2)
            #expect(try await store.knowledgeBases.list(visibleTo: b.id, role: .admin, page: .init()).total == 3)

            var changed = mine
            changed.chunking = ChunkingSettings(sizeTokens: 100, overlapTokens: 10)
            changed.llm = LLMSettings(provider: "local", model: "llama", temperature: 0.7, systemPrompt: "Be brief.")
            changed.status = .needsTraining
            try await store.knowledgeBases.update(changed)
            #expect(try await store.knowledgeBases.find(id: mine.id)?.chunking.sizeTokens == 100)
            #expect(try await store.knowledgeBases.find(id: mine.id)?.llm == changed.llm)

            let doc = try await store.documents.createOrFind(DocumentRecord(modelID: mine.id, title: "t", filename: "f.txt", format: .text, sha256: "abc", sizeBytes: 3))
            try await store.jobs.enqueue(JobRecord(kind: .ingest, modelID: mine.id, ownerID: a.id, documentIDs: [doc.document.id]))
            #expect(try await store.knowledgeBases.delete(id: mine.id))
            #expect(try await store.documents.find(id: doc.document.id) == nil)
            #expect(try await store.knowledgeBases.delete(id: mine.id) == false)
        }
    }

    @Test("documents: same content once per model; chunks replaced atomically with their embeddings", arguments: Backend.available)
    func documentsAndChunks(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let a = try await owner(store)
            let model = try await store.knowledgeBases.create(KnowledgeBase(ownerID: a.id, name: "M", embeddingModel: "m"))
            let first = try await store.documents.createOrFind(DocumentRecord(modelID: model.id, title: "one", filename: "a.md", format: .markdown, sha256: "h1", sizeBytes: 10, tags: ["x", "y"], metadataJSON: #"{"k":1}"#))
            let again = try await store.documents.createOrFind(DocumentRecord(modelID: model.id, title: "copy", filename: "b.md", format: .markdown, sha256: "h1", sizeBytes: 10))
            #expect(first.created && !again.created && again.document.id == first.document.id)
            #expect(again.document.tags == ["x", "y"] && again.document.metadataJSON == #"{"k":1}"#)

            func chunks(_ n: Int) -> [ChunkRecord] {
                (0..<n).map { ChunkRecord(documentID: first.document.id, modelID: model.id, generation: 1, ordinal: $0, text: "c\($0)", page: $0 + 1,
                                          headingPath: ["H", "S\($0)"], startOffset: $0 * 10, endOffset: $0 * 10 + 9, tokenCount: 3,
                                          embedding: [Float($0), 0.5, -1.25]) }
            }
            #expect(try await store.documents.replaceChunks(documentID: first.document.id, generation: 1, chunks: chunks(5), title: "Real title", pageCount: 5))
            // A second run (a job resumed after a crash) replaces, never duplicates.
            #expect(try await store.documents.replaceChunks(documentID: first.document.id, generation: 1, chunks: chunks(3), title: nil, pageCount: nil))
            let stored = try await store.documents.chunks(documentID: first.document.id, generation: 1, page: .init())
            #expect(stored.total == 3 && stored.items.map(\.ordinal) == [0, 1, 2])
            #expect(stored.items[2].embedding == [2, 0.5, -1.25] && stored.items[2].headingPath == ["H", "S2"] && stored.items[2].page == 3)
            let doc = try #require(try await store.documents.find(id: first.document.id))
            #expect(doc.status == .ready && doc.chunkCount == 3 && doc.title == "Real title" && doc.pageCount == 5)
            #expect(try await store.documents.chunkCount(modelID: model.id, generation: 1) == 3)
            #expect(try await store.documents.list(modelID: model.id, status: .failed, page: .init()).total == 0)
            // Index totals count ready documents and their chunks; a failed document and an empty model add nothing.
            let other = try await store.knowledgeBases.create(KnowledgeBase(ownerID: a.id, name: "Empty", embeddingModel: "m"))
            let broken = try await store.documents.createOrFind(DocumentRecord(modelID: other.id, title: "bad", filename: "c.md", format: .markdown, sha256: "h9", sizeBytes: 1))
            try await store.documents.setStatus(id: broken.document.id, .failed, error: "unreadable")
            #expect(try await store.documents.indexTotals() == IndexTotals(knowledgeBases: 2, documents: 1, chunks: 3, largestChunks: 3))

            #expect(try await store.documents.delete(id: first.document.id))
            #expect(try await store.documents.chunks(ids: stored.items.map(\.id)).isEmpty)
            #expect(try await store.documents.replaceChunks(documentID: first.document.id, generation: 1, chunks: chunks(2), title: nil, pageCount: nil) == false)
            #expect(try await store.documents.chunkCount(modelID: model.id, generation: 1) == 0)
        }
    }

    /// Hardening finding 3a: an upload's rows and its job are one transaction.
    @Test("uploads: documents and their job are written together or not at all; a failed document is queued again", arguments: Backend.available)
    func uploadTransaction(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let a = try await owner(store)
            let model = try await store.knowledgeBases.create(KnowledgeBase(ownerID: a.id, name: "M", embeddingModel: "m"))
            let failed = try await store.documents.createOrFind(DocumentRecord(modelID: model.id, title: "old", filename: "old.txt", format: .text,
                                                                               sha256: "h-old", sizeBytes: 1, status: .failed, error: "boom")).document
            func draft(_ sha: String, title: String = "t") -> DocumentRecord {
                DocumentRecord(modelID: model.id, title: title, filename: "\(sha).txt", format: .text, sha256: sha, sizeBytes: 1)
            }
            let makeJob: @Sendable ([UUID]) -> JobRecord = { JobRecord(kind: .ingest, modelID: model.id, ownerID: a.id, documentIDs: $0, progressTotal: $0.count) }
            // The last row is refused (NUL): nothing of the four may stay, and the failed document stays failed.
            await #expect(throws: HyperionError.self) {
                _ = try await store.documents.createWithJob([draft("h1"), draft("h-old"), draft("h1"), draft("h2", title: "bad\u{0}")], job: makeJob)
            }
            #expect(try await store.documents.all(modelID: model.id).map(\.id) == [failed.id])
            #expect(try await store.documents.find(id: failed.id)?.status == .failed)
            #expect(try await store.count("jobs") == 0)

            let new = draft("h1")
            let (outcomes, job) = try await store.documents.createWithJob([new, draft("h-old"), draft("h1")], job: makeJob)
            #expect(outcomes.count == 3)
            #expect(outcomes[0] == .created(new))
            guard case .existing(let retried, requeued: true) = outcomes[1], case .existing(let same, requeued: false) = outcomes[2] else {
                Issue.record("unexpected outcomes \(outcomes)")
                return
            }
            #expect(retried.id == failed.id && retried.status == .queued && retried.error == nil && same.id == new.id)
            #expect(job?.documentIDs == [new.id, failed.id])
            #expect(try await store.jobs.find(try #require(job?.id))?.status == .queued)
            #expect(try await store.documents.find(id: failed.id)?.status == .queued)
            // What the owner holds, for quotas (PostgreSQL sums BIGINT as NUMERIC: the query casts it back).
            let usage = try await store.knowledgeBases.usage(ownerID: a.id)
            #expect(usage.models == 1 && usage.documents == 2 && usage.bytes == 2)
            let nobody = try await store.knowledgeBases.usage(ownerID: UUID())
            #expect(nobody.models == 0 && nobody.documents == 0 && nobody.bytes == 0)
            // Nothing new: no job.
            let (_, none) = try await store.documents.createWithJob([draft("h1")], job: makeJob)
            let jobCount = try await store.count("jobs")
            #expect(none == nil && jobCount == 1)
        }
    }

    /// Hardening finding 2: one user's long job held the only worker while another user's upload stayed queued.
    @Test("claims are fair: one user's running jobs are capped, the user served least recently goes first", arguments: Backend.available)
    func fairClaims(backend: Backend) async throws {
        try await withFreshStore(backend) { store, _ in
            let a = try await owner(store, "a@example.com"), b = try await owner(store, "b@example.com"), c = try await owner(store, "c@example.com")
            let model = try await store.knowledgeBases.create(KnowledgeBase(ownerID: a.id, name: "M", embeddingModel: "m"))
            func job(_ owner: User, _ second: Double) async throws -> UUID {
                let record = JobRecord(kind: .ingest, modelID: model.id, ownerID: owner.id, createdAt: Date(timeIntervalSince1970: 1_000 + second))
                try await store.jobs.enqueue(record)
                return record.id
            }
            let a1 = try await job(a, 1), a2 = try await job(a, 2), a3 = try await job(a, 3), b1 = try await job(b, 4), c1 = try await job(c, 5)
            let t0 = Date()
            #expect(try await store.jobs.claim(worker: "w", perUser: 1, at: t0)?.id == a1)
            // A is at its limit: B, then C, although A's jobs are older.
            #expect(try await store.jobs.claim(worker: "w", perUser: 1, at: t0.addingTimeInterval(1))?.id == b1)
            #expect(try await store.jobs.claim(worker: "w", perUser: 1, at: t0.addingTimeInterval(2))?.id == c1)
            #expect(try await store.jobs.claim(worker: "w", perUser: 1, at: t0.addingTimeInterval(3)) == nil, "everyone with work is at the limit")
            try await store.jobs.finish(a1, status: .succeeded, error: nil)
            let b2 = try await job(b, 6)
            try await store.jobs.finish(b1, status: .succeeded, error: nil)
            // A (served at t0) before B (served at t0+1), whatever the jobs' ages.
            #expect(try await store.jobs.claim(worker: "w", perUser: 1, at: t0.addingTimeInterval(4))?.id == a2)
            #expect(try await store.jobs.claim(worker: "w", perUser: 1, at: t0.addingTimeInterval(5))?.id == b2)
            // Without a per-user limit the oldest of the least recently served user comes next.
            #expect(try await store.jobs.claim(worker: "w", at: t0.addingTimeInterval(6))?.id == a3)
        }
    }
}
