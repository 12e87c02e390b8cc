import Foundation

/// An outside engine that keeps one collection (a table, a Milvus or Chroma collection) per index generation: one
/// half of a ``SplitIndexCatalog``. `Index` is `any VectorIndex` or `any KeywordIndex`.
///
/// Implementations create a generation's collection on first use and map the engine's failures to
/// ``IndexEngineError``, so the server can answer 503 naming the engine, or mark a knowledge base as needing training.
public protocol GenerationCollections<Index>: Sendable {
    /// The index type of one collection.
    associatedtype Index: Sendable
    /// The engine's name in errors and in `/ready`, e.g. `pgvector`.
    var engine: String { get }
    /// The generation's collection, created when missing.
    func collection(of generation: IndexGeneration) async throws -> Index
    /// Every generation of the knowledge base the engine holds a collection for.
    func generations(of knowledgeBase: UUID) async throws -> [IndexGeneration]
    /// Deletes the generation's collection; nothing when there is none.
    func drop(_ generation: IndexGeneration) async throws
    /// Deletes every collection of the knowledge base.
    func drop(knowledgeBase: UUID) async throws
    /// Throws ``IndexEngineError`` unless the engine answers.
    func ping() async throws
    /// Called when a job has finished writing to the generation: an engine that buffers recent writes in a less
    /// precise form (Milvus's growing segments) seals them here. Writes are searchable before this either way.
    func persist(_ generation: IndexGeneration) async throws
}

extension GenerationCollections {
    /// Every write is final when it returns: nothing to do.
    public func persist(_ generation: IndexGeneration) async throws {}
}

/// A failure of an index engine, named so an operator knows which engine and which knowledge base.
public struct IndexEngineError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: String, Sendable {
        /// The engine cannot be reached or did not answer in time: retry later (503).
        case unavailable
        /// The generation's collection is gone (deleted outside Hyperion) or holds vectors of another length: the
        /// knowledge base must be trained again (409).
        case needsTraining
        /// The engine answered something that is not what its protocol promises (502).
        case badResponse
    }

    /// What went wrong.
    public let reason: Reason
    /// The engine, e.g. `pgvector`.
    public let engine: String
    /// The knowledge base concerned, when one is.
    public let knowledgeBase: UUID?
    /// One line saying what happened, without secrets.
    public let detail: String

    /// Creates an error.
    public init(_ reason: Reason, engine: String, knowledgeBase: UUID? = nil, _ detail: String) {
        self.reason = reason
        self.engine = engine
        self.knowledgeBase = knowledgeBase
        self.detail = detail
    }

    public var description: String {
        let base = knowledgeBase.map { " (knowledge base \($0.lowercasedString))" } ?? ""
        return "\(engine)\(base): \(detail)"
    }

    /// The error as the API reports it.
    public var asHyperionError: HyperionError {
        switch reason {
        case .unavailable:
            return HyperionError(.unavailable, code: "index_unavailable", message: "the vector store is unavailable: \(description)")
        case .needsTraining:
            return HyperionError(.conflict, code: "index_needs_training", message: "\(description); train the RAG model again")
        case .badResponse:
            return HyperionError(.upstream, code: "index_bad_response", message: "the vector store answered unexpectedly: \(description)")
        }
    }
}

extension IndexGeneration {
    /// The name of the generation's table or collection in an outside engine: `hyv_<knowledge base, 32 hex>_<number>`
    /// (letters, digits and `_`, which every engine accepts).
    public var collectionName: String { Self.collectionPrefix(knowledgeBase) + "\(number)" }

    /// What the names of a knowledge base's collections start with.
    public static func collectionPrefix(_ knowledgeBase: UUID) -> String {
        "hyv_\(knowledgeBase.lowercasedString.replacingOccurrences(of: "-", with: ""))_"
    }

    /// The generations of `knowledgeBase` among collection `names`.
    public static func generations(of knowledgeBase: UUID, amongCollections names: [String]) -> [IndexGeneration] {
        let prefix = collectionPrefix(knowledgeBase)
        return names.filter { $0.hasPrefix(prefix) }.compactMap { Int($0.dropFirst(prefix.count)) }
            .map { IndexGeneration(knowledgeBase: knowledgeBase, number: $0) }
    }
}

extension Array {
    /// The elements with the last occurrence of each id kept, in order: what an upsert of the whole array leaves.
    public func lastPerID<ID: Hashable>(_ id: (Element) -> ID) -> [Element] {
        var latest: [ID: Int] = [:]
        for (i, element) in enumerated() { latest[id(element)] = i }
        return indices.filter { latest[id(self[$0])] == $0 }.map { self[$0] }
    }
}
