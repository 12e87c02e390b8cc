import Foundation
import HyperionConformance
import HyperionCore
import HyperionIndex
import Testing

extension ConformanceCheck: CustomTestStringConvertible {
    public var testDescription: String { name }
}

/// The embedded engine against the suites every implementation must pass: exact search, the HNSW graph (built from
/// the first entries on, so every check exercises it), BM25, and the catalog of index files.
@Suite struct CatalogConformanceTests {
    @Test(arguments: VectorIndexConformance.checks)
    func exactVectorIndex(_ check: ConformanceCheck<VectorIndexHarness>) async throws {
        try await check.run(VectorIndexHarness { LocalVectorIndex(dimension: $0, settings: VectorIndexSettings(exactThreshold: .max)) })
    }

    @Test(arguments: VectorIndexConformance.checks)
    func hnswVectorIndex(_ check: ConformanceCheck<VectorIndexHarness>) async throws {
        try await check.run(VectorIndexHarness { LocalVectorIndex(dimension: $0, settings: VectorIndexSettings(exactThreshold: 1)) })
    }

    @Test(arguments: KeywordIndexConformance.checks)
    func bm25Index(_ check: ConformanceCheck<KeywordIndexHarness>) async throws {
        try await check.run(KeywordIndexHarness { BM25Index() })
    }

    @Test(arguments: IndexCatalogConformance.checks)
    func localIndexCatalog(_ check: ConformanceCheck<IndexCatalogHarness>) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-catalog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try await check.run(IndexCatalogHarness { LocalIndexCatalog(root: root, dimension: 12, source: nil) })
    }

    @Test(arguments: IndexCatalogConformance.checks)
    func localIndexCatalogWithinACacheBudget(_ check: ConformanceCheck<IndexCatalogHarness>) async throws {
        // A budget smaller than one generation: every use releases the others, which reload from their files.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-catalog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try await check.run(IndexCatalogHarness { LocalIndexCatalog(root: root, dimension: 12, source: nil, cacheBytes: 1) })
    }
}

/// What only the file-backed catalog does: rebuild from its source of truth.
@Suite struct LocalIndexCatalogTests {
    /// A source of truth held in memory.
    final class Source: IndexSource, @unchecked Sendable {
        var entries = IndexEntries()
        func chunkIDs(of generation: IndexGeneration) async throws -> Set<String> { Set(entries.vectors.map(\.id)) }
        func entries(of generation: IndexGeneration) async throws -> IndexEntries { entries }
    }

    static func entries(_ ids: [String]) -> IndexEntries {
        IndexEntries(
            vectors: ids.enumerated().map { i, id in
                var v = [Float](repeating: 0, count: 4)
                v[i % 4] = 1
                return VectorEntry(id: id, vector: v, metadata: EntryMetadata(documentID: "d-\(id)"))
            },
            keywords: ids.map { KeywordEntry(id: $0, text: "text of \($0)", metadata: EntryMetadata(documentID: "d-\($0)")) }
        )
    }

    @Test func aMissingOutOfStepOrDamagedGenerationIsRebuiltFromTheSource() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-catalog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let source = Source()
        source.entries = Self.entries(["alpha", "bravo", "charlie"])
        let generation = IndexGeneration(knowledgeBase: UUID(), number: 3)

        // No files: built from the source and saved.
        var catalog = LocalIndexCatalog(root: root, dimension: 4, source: source)
        #expect(try await catalog.indexes(of: generation).vectors.count() == 3)
        let folder = root.appendingPathComponent(generation.knowledgeBase.lowercasedString).appendingPathComponent("3")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("vectors.hyv").path))

        // The source moved on (a commit whose save was lost): the files are out of step and rebuilt.
        source.entries = Self.entries(["alpha", "bravo", "charlie", "delta"])
        catalog = LocalIndexCatalog(root: root, dimension: 4, source: source)
        #expect(try await catalog.indexes(of: generation).vectors.count() == 4)
        #expect(try await catalog.indexes(of: generation).keywords.search("delta", k: 5, filter: .none).map(\.id) == ["delta"])

        // A damaged file: rebuilt too.
        try Data("garbage".utf8).write(to: folder.appendingPathComponent("keywords.hyk"))
        catalog = LocalIndexCatalog(root: root, dimension: 4, source: source)
        #expect(try await catalog.indexes(of: generation).keywords.count() == 4)

        // In step: loaded as saved (the source is not read for entries).
        try await catalog.persist(generation)
        source.entries.keywords = []  // would leave the keyword index empty if it were used
        source.entries.vectors = Self.entries(["alpha", "bravo", "charlie", "delta"]).vectors
        catalog = LocalIndexCatalog(root: root, dimension: 4, source: source)
        #expect(try await catalog.indexes(of: generation).keywords.count() == 4)
    }
}
