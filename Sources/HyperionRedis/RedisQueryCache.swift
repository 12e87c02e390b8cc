import Foundation
import HyperionCore
import NIOCore

/// The ``QueryCache`` the instances share: one Redis string per entry (JSON, embeddings as base64 float32) with the
/// time to live as its expiry, and a sorted set of entry keys by insertion time that keeps at most `capacity` of
/// them (the oldest go first). Keys hold the knowledge base's generation and change-log position, so a train or an
/// ingestion anywhere moves every instance to new keys; a delete is caught by the store check every hit gets.
/// While Redis is down every lookup is a miss and nothing is stored.
public struct RedisQueryCache: QueryCache {
    let client: RedisClient
    let capacity: Int
    let ttl: Duration

    /// Creates a cache of at most `capacity` entries that live `ttl`.
    public init(client: RedisClient, capacity: Int, ttl: Duration) {
        self.client = client
        self.capacity = capacity
        self.ttl = ttl
    }

    /// KEYS: entry, index. ARGV: value, ttl in ms, now in ms, capacity. Stores the entry and evicts the oldest past
    /// capacity (their strings too).
    static let storeScript = """
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[2]))
    local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
    if over > 0 then
      local old = redis.call('ZRANGE', KEYS[2], 0, over - 1)
      redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
      for _, key in ipairs(old) do redis.call('DEL', key) end
    end
    return 1
    """

    public func hits(for key: RetrievalCacheKey) async -> [ScoredChunk]? {
        guard capacity > 0, case .bulkString(let bytes?) = try? await client.send(["GET", .string(entryKey(key))]) else { return nil }
        return try? JSONDecoder().decode([CachedHit].self, from: Data(bytes.readableBytesView)).map(\.scored)
    }

    public func store(_ hits: [ScoredChunk], for key: RetrievalCacheKey) async {
        guard capacity > 0, let value = try? JSONEncoder().encode(hits.map(CachedHit.init)) else { return }
        let milliseconds = max(1, RedisConnection.nanoseconds(ttl) / 1_000_000)
        _ = try? await client.evaluate(Self.storeScript, keys: [entryKey(key), client.settings.keyPrefix + "qc-index"],
                                       arguments: [.bytes(ByteBuffer(bytes: value)), .int(milliseconds),
                                                   .int(Int64(Date().timeIntervalSince1970 * 1000)), .int(capacity)])
    }

    /// Every part of the key, spelled out (the question is at most a few KB): equal keys, equal strings.
    func entryKey(_ key: RetrievalCacheKey) -> String {
        let filter = [key.documentIDs.map { "d=" + $0.joined(separator: ",") } ?? "d*", key.tags.map { "t=" + $0.joined(separator: ",") } ?? "t*"]
        return client.settings.keyPrefix + "qc:" + [key.generation.knowledgeBase.lowercasedString, String(key.generation.number),
                                                     String(key.indexChanges), key.mode.rawValue, String(key.k)].joined(separator: ":")
            + ":" + filter.joined(separator: ";") + ":" + key.query
    }
}

/// A ``ScoredChunk`` as JSON.
struct CachedHit: Codable {
    var id: String
    var documentID: String
    var score: Double
    var vector: ModeRank?
    var keyword: ModeRank?
    var chunkID: UUID
    var chunkDocument: UUID
    var model: UUID
    var generation: Int
    var ordinal: Int
    var text: String
    var page: Int?
    var headings: [String]
    var start: Int
    var end: Int
    var tokens: Int
    /// Little-endian float32, base64.
    var embedding: Data
    var title: String

    init(_ hit: ScoredChunk) {
        id = hit.item.id
        documentID = hit.item.documentID
        score = hit.item.score
        vector = hit.item.vector
        keyword = hit.item.keyword
        let chunk = hit.chunk
        chunkID = chunk.id
        chunkDocument = chunk.documentID
        model = chunk.modelID
        generation = chunk.generation
        ordinal = chunk.ordinal
        text = chunk.text
        page = chunk.page
        headings = chunk.headingPath
        start = chunk.startOffset
        end = chunk.endOffset
        tokens = chunk.tokenCount
        embedding = chunk.embedding.float32Bytes
        title = hit.documentTitle
    }

    var scored: ScoredChunk {
        ScoredChunk(
            item: RetrievedItem(id: id, documentID: documentID, score: score, vector: self.vector, keyword: keyword),
            chunk: ChunkRecord(id: chunkID, documentID: chunkDocument, modelID: model, generation: generation, ordinal: ordinal, text: text,
                               page: page, headingPath: headings, startOffset: start, endOffset: end, tokenCount: tokens, embedding: [Float](float32Bytes: embedding)),
            documentTitle: title
        )
    }
}
