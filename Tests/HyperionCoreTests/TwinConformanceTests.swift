import HyperionConformance
import HyperionCore
import Testing

extension ConformanceCheck: CustomTestStringConvertible {
    public var testDescription: String { name }
}

/// The in-memory twins pass the suites every implementation must pass, so tests that use them test real behaviour.
@Suite struct TwinConformanceTests {
    @Test(arguments: VectorIndexConformance.checks)
    func inMemoryVectorIndex(_ check: ConformanceCheck<VectorIndexHarness>) async throws {
        try await check.run(VectorIndexHarness { InMemoryVectorIndex(dimension: $0) })
    }

    @Test(arguments: KeywordIndexConformance.checks)
    func inMemoryKeywordIndex(_ check: ConformanceCheck<KeywordIndexHarness>) async throws {
        try await check.run(KeywordIndexHarness { InMemoryKeywordIndex() })
    }

    @Test(arguments: IndexCatalogConformance.checks)
    func inMemoryIndexCatalog(_ check: ConformanceCheck<IndexCatalogHarness>) async throws {
        let shelf = InMemoryIndexCatalog.Shelf()
        try await check.run(IndexCatalogHarness { InMemoryIndexCatalog(dimension: 12, shelf: shelf) })
    }

    @Test(arguments: JobQueueConformance.checks)
    func inMemoryJobQueue(_ check: ConformanceCheck<JobQueueHarness>) async throws {
        let shelf = InMemoryJobQueue.Shelf()
        try await check.run(JobQueueHarness(open: { InMemoryJobQueue(shelf: shelf) }))
    }

    @Test(arguments: RateLimiterConformance.checks)
    func inMemoryRateLimiter(_ check: ConformanceCheck<RateLimiterHarness>) async throws {
        try await check.run(RateLimiterHarness { InMemoryRateLimiter() })
    }

    @Test(arguments: ClusterBusConformance.checks)
    func localClusterBus(_ check: ConformanceCheck<ClusterBusHarness>) async throws {
        let bus = LocalClusterBus()
        try await check.run(ClusterBusHarness { (bus, bus) })
    }

    @Test(arguments: QueryCacheConformance.checks)
    func inProcessQueryCache(_ check: ConformanceCheck<QueryCacheHarness>) async throws {
        try await check.run(QueryCacheHarness { InProcessQueryCache(capacity: $0, ttl: $1) })
    }

    @Test(arguments: EventSinkConformance.checks)
    func inMemoryEventSink(_ check: ConformanceCheck<EventSinkHarness>) async throws {
        let sink = InMemoryEventSink()
        try await check.run(EventSinkHarness(open: { sink }, recorded: { await sink.events }))
    }

    @Test(arguments: DocumentExtractorConformance.checks)
    func textOnlyExtractor(_ check: ConformanceCheck<DocumentExtractorHarness>) async throws {
        try await check.run(DocumentExtractorHarness { TextOnlyExtractor() })
    }

    @Test(arguments: ChatJobQueueConformance.checks)
    func inMemoryChatJobQueue(_ check: ConformanceCheck<ChatJobQueueHarness>) async throws {
        try await check.run(ChatJobQueueHarness {
            let queue = InMemoryChatJobQueue(deliveryLimit: 2)
            return ChatJobQueueParts(
                broker: queue, worker: { queue.worker() }, lose: { ($0 as? InMemoryChatJobQueue.Worker)?.drop() },
                deadLetters: { queue.deadLetters }, submitRaw: { try queue.submit(body: $0, jobID: $1) }, deliveryLimit: 2
            )
        })
    }
}
