import Foundation
import HyperionConformance
import HyperionCore
import HyperionStorage
import Testing

extension ConformanceCheck: CustomTestStringConvertible {
    public var testDescription: String { name }
}

/// Every conformance check once per backend.
struct BackendCheck<Harness: Sendable>: CustomTestStringConvertible, Sendable {
    let backend: Backend
    let check: ConformanceCheck<Harness>
    var testDescription: String { "\(backend.rawValue): \(check.name)" }

    static func all(_ checks: [ConformanceCheck<Harness>]) -> [BackendCheck] {
        Backend.available.flatMap { backend in checks.map { BackendCheck(backend: backend, check: $0) } }
    }
}

/// The store's seams against the suites every implementation must pass, on SQLite and PostgreSQL.
@Suite struct StoreConformanceTests {
    @Test(arguments: BackendCheck.all(JobQueueConformance.checks))
    func sqlJobQueue(_ run: BackendCheck<JobQueueHarness>) async throws {
        try await withFreshStore(run.backend) { store, _ in
            let created = Created()
            // Jobs point at a RAG model (foreign key): make it, and its owners, on first mention.
            try await run.check.run(JobQueueHarness(open: { store.jobs }, prepare: { knowledgeBase, owner in
                _ = try await store.users.create(User(id: owner, email: "\(owner.uuidString.prefix(8))@example.com", role: .user, passwordHash: "x"))
                if await created.first(knowledgeBase) {
                    _ = try await store.knowledgeBases.create(KnowledgeBase(id: knowledgeBase, ownerID: owner, name: "KB", embeddingModel: "m"))
                }
            }))
        }
    }

    @Test(arguments: BackendCheck.all(EventSinkConformance.checks))
    func auditTable(_ run: BackendCheck<EventSinkHarness>) async throws {
        try await withFreshStore(run.backend) { store, _ in
            try await run.check.run(EventSinkHarness(open: { store.audit }, recorded: {
                try await store.audit.list(AuditFilter(), page: PageRequest(limit: 1000)).items
            }))
        }
    }

    actor Created {
        var seen: Set<UUID> = []
        func first(_ id: UUID) -> Bool { seen.insert(id).inserted }
    }
}
