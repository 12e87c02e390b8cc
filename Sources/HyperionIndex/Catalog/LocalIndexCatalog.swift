import Foundation
import HyperionCore
import Logging
import Synchronization

/// The embedded index catalog: every generation an HNSW/exact vector index and a BM25 index in memory, saved as
/// `<root>/<knowledge-base-id>/<generation>/vectors.hyv` and `keywords.hyk`.
///
/// With a ``IndexSource`` (the store) the source is the truth: a file that is missing, damaged or out of step with
/// it (a crash between a commit and a save) is rebuilt from the embeddings kept there. Without one (`hyperion eval`)
/// the files are the truth.
///
/// Open generations are kept up to `cacheBytes` (0: no limit): past it the least recently used ones are saved and
/// released, and load again from their files on next use.
public actor LocalIndexCatalog: IndexCatalog {
    /// The folder holding one folder per knowledge base.
    public let root: URL
    public nonisolated let dimension: Int
    let source: (any IndexSource)?
    let vectorSettings: VectorIndexSettings
    let keywordParameters: BM25Parameters
    let cacheBytes: Int
    let logger: Logger
    private var open: [IndexGeneration: Generation] = [:]
    /// Use order: a larger number was used more recently.
    private var lastUse: [IndexGeneration: UInt64] = [:]
    private var useClock: UInt64 = 0
    private nonisolated let changes = Atomic<Int>(0)

    /// The concrete pair, kept so the catalog can save it and measure it.
    struct Generation: Sendable {
        let vectors: LocalVectorIndex
        let keywords: BM25Index

        var approximateBytes: Int { vectors.approximateBytes + keywords.approximateBytes }

        func save(to directory: URL) throws {
            try vectors.save(to: directory.appendingPathComponent("vectors.hyv"))
            try keywords.save(to: directory.appendingPathComponent("keywords.hyk"))
        }
    }

    /// Creates a catalog over `root`; nothing is read until a generation is used.
    public init(root: URL, dimension: Int, source: (any IndexSource)?, vectorSettings: VectorIndexSettings = .init(),
                keywordParameters: BM25Parameters = .init(), cacheBytes: Int = 0, logger: Logger = Logger(label: "hyperion.index")) {
        self.root = root
        self.dimension = dimension
        self.source = source
        self.vectorSettings = vectorSettings
        self.keywordParameters = keywordParameters
        self.cacheBytes = cacheBytes
        self.logger = logger
    }

    public nonisolated var changeCount: Int { changes.load(ordering: .relaxed) }

    private func directory(_ generation: IndexGeneration) -> URL {
        root.appendingPathComponent(generation.knowledgeBase.lowercasedString).appendingPathComponent("\(generation.number)")
    }

    public func indexes(of generation: IndexGeneration) async throws -> GenerationIndexes {
        let opened = try await use(generation)
        return GenerationIndexes(vectors: opened.vectors, keywords: opened.keywords)
    }

    /// The generation, loaded or rebuilt on first use, marked most recently used.
    private func use(_ generation: IndexGeneration) async throws -> Generation {
        useClock += 1
        lastUse[generation] = useClock
        if let opened = open[generation] { return opened }
        let loaded = try await load(generation)
        if let raced = open[generation] { return raced }
        open[generation] = loaded
        releaseOverBudget(keeping: generation)
        return loaded
    }

    /// Saves and releases the least recently used generations until the open ones fit in `cacheBytes` (the one in
    /// use stays, whatever its size). One released while a job still writes to it is rebuilt from the source at its
    /// next load, which notices it is out of step.
    private func releaseOverBudget(keeping: IndexGeneration) {
        guard cacheBytes > 0 else { return }
        var sizes = open.mapValues(\.approximateBytes)
        var total = sizes.values.reduce(0, +)
        while total > cacheBytes, let victim = sizes.keys.filter({ $0 != keeping }).min(by: { lastUse[$0, default: 0] < lastUse[$1, default: 0] }) {
            do { try open[victim]?.save(to: directory(victim)) } catch {
                logger.warning("could not save an index before releasing it", metadata: ["index": "\(victim)", "error": "\(error)"])
            }
            open[victim] = nil
            lastUse[victim] = nil
            total -= sizes.removeValue(forKey: victim) ?? 0
            logger.info("released an index from memory", metadata: ["index": "\(victim)", "open_bytes": "\(total)"])
        }
    }

    private func load(_ generation: IndexGeneration) async throws -> Generation {
        let dir = directory(generation)
        let expected = try await source?.chunkIDs(of: generation)
        do {
            let vectors = try LocalVectorIndex.load(from: dir.appendingPathComponent("vectors.hyv"), settings: vectorSettings)
            let keywords = try BM25Index.load(from: dir.appendingPathComponent("keywords.hyk"), parameters: keywordParameters)
            guard let expected else { return Generation(vectors: vectors, keywords: keywords) }
            if vectors.dimension == dimension, Set(vectors.entries().map(\.id)) == expected, keywords.liveCount == expected.count {
                return Generation(vectors: vectors, keywords: keywords)
            }
            logger.warning("index out of step with the store; rebuilding", metadata: ["index": "\(generation)"])
        } catch IndexFileError.missing {
            // First use of this generation, or never saved: build from the source.
        } catch {
            logger.warning("index file unusable; rebuilding", metadata: ["index": "\(generation)", "error": "\(error)"])
        }
        let built = Generation(vectors: LocalVectorIndex(dimension: dimension, settings: vectorSettings), keywords: BM25Index(parameters: keywordParameters))
        guard let source, expected?.isEmpty == false else { return built }
        try add(try await source.entries(of: generation), to: built)
        try built.save(to: dir)
        return built
    }

    private func add(_ entries: IndexEntries, to generation: Generation) throws {
        try generation.vectors.addSync(entries.vectors)
        try generation.keywords.addSync(entries.keywords)
    }

    public func add(_ entries: IndexEntries, to generation: IndexGeneration) async throws {
        let opened = try await use(generation)
        defer { changes.add(1, ordering: .relaxed) }
        try add(entries, to: opened)
        releaseOverBudget(keeping: generation)
    }

    public func replace(documentID: String, with entries: IndexEntries, in generation: IndexGeneration) async throws {
        let opened = try await use(generation)
        defer { changes.add(1, ordering: .relaxed) }
        opened.vectors.removeSync(documentIDs: [documentID])
        opened.keywords.removeSync(documentIDs: [documentID])
        try add(entries, to: opened)
        releaseOverBudget(keeping: generation)
    }

    public func remove(documentID: String, knowledgeBase: UUID) async throws {
        defer { changes.add(1, ordering: .relaxed) }
        // Generations on disk but not open are opened too, so none can bring the document back later.
        for generation in Set(open.keys.filter { $0.knowledgeBase == knowledgeBase } + onDisk(knowledgeBase)) {
            let opened = try await use(generation)
            opened.vectors.removeSync(documentIDs: [documentID])
            opened.keywords.removeSync(documentIDs: [documentID])
        }
    }

    /// Whether the generation is in memory (a follower applies others' changes only to those: one loaded later reads
    /// the store, which already has them).
    public func isOpen(_ generation: IndexGeneration) -> Bool { open[generation] != nil }

    /// Removes a document from the generations of its knowledge base that are in memory. Those on disk are checked
    /// against the store when loaded, so they cannot bring it back.
    public func removeFromOpen(documentID: String, knowledgeBase: UUID) {
        var changed = false
        for (generation, opened) in open where generation.knowledgeBase == knowledgeBase {
            opened.vectors.removeSync(documentIDs: [documentID])
            opened.keywords.removeSync(documentIDs: [documentID])
            changed = true
        }
        if changed { changes.add(1, ordering: .relaxed) }
    }

    /// Releases every generation from memory without saving, so each is checked against the store (and rebuilt if
    /// out of step) at its next use: what a follower does when it may have missed changes.
    public func forgetOpen() {
        changes.add(1, ordering: .relaxed)
        open.removeAll()
        lastUse.removeAll()
    }

    /// The generations of a knowledge base that have a folder.
    private func onDisk(_ knowledgeBase: UUID) -> [IndexGeneration] {
        let folder = root.appendingPathComponent(knowledgeBase.lowercasedString)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.compactMap(Int.init).map { IndexGeneration(knowledgeBase: knowledgeBase, number: $0) }
    }

    public func persist(_ generation: IndexGeneration) async throws {
        try open[generation]?.save(to: directory(generation))
    }

    public func drop(_ generation: IndexGeneration) async throws {
        changes.add(1, ordering: .relaxed)
        open[generation] = nil
        lastUse[generation] = nil
        try? FileManager.default.removeItem(at: directory(generation))
    }

    public func drop(knowledgeBase: UUID) async throws {
        changes.add(1, ordering: .relaxed)
        for generation in open.keys where generation.knowledgeBase == knowledgeBase {
            open[generation] = nil
            lastUse[generation] = nil
        }
        try? FileManager.default.removeItem(at: root.appendingPathComponent(knowledgeBase.lowercasedString))
    }
}
