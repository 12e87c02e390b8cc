import Foundation
import HyperionCore

/// The embedded keyword index: Okapi BM25 over an inverted index built by ``EnglishAnalyzer``.
///
/// Score of a document for a query: Σ over query terms of
/// `idf · tf · (k1 + 1) / (tf + k1 · (1 − b + b · dl / avgdl))` with Lucene's
/// `idf = ln(1 + (N − df + 0.5) / (df + 0.5))`. N, df and avgdl count live entries only, so a deleted
/// entry stops influencing scores at once. Thread-safe: searches run in parallel, writes one at a time.
public final class BM25Index: KeywordIndex, @unchecked Sendable {
    /// Scoring parameters used when a search does not pass its own.
    public let parameters: BM25Parameters
    /// Turns text into terms, for documents and queries alike.
    public let analyzer: EnglishAnalyzer

    private let lock = ReadWriteLock()
    private var table = EntryTable()
    private var terms = Interner()
    /// Per term: the slots containing it and how often (same order).
    private var postingSlots: [[UInt32]] = []
    private var postingCounts: [[UInt16]] = []
    /// Live entries containing each term.
    private var documentFrequency: [Int32] = []
    /// Per slot: its distinct terms (to update document frequencies on delete) and its length in terms.
    private var slotTerms: [[Int32]] = []
    private var lengths: [UInt32] = []
    private var liveLength: Int = 0

    static let magic = "HYPBM25A"

    /// Creates an empty index.
    public init(parameters: BM25Parameters = .init(), analyzer: EnglishAnalyzer = .init()) {
        self.parameters = parameters
        self.analyzer = analyzer
    }

    /// Number of live entries.
    public var liveCount: Int { lock.withReadLock { table.liveCount } }
    /// Bytes the index holds in memory, roughly: postings, per-entry terms and lengths, the vocabulary, and ~80
    /// bytes per entry for ids and metadata.
    public var approximateBytes: Int {
        lock.withReadLock {
            postingSlots.reduce(0) { $0 + $1.count } * 6 + slotTerms.reduce(0) { $0 + $1.count } * 4 + lengths.count * 4
                + terms.values.count * 40 + table.slotCount * 80
        }
    }
    /// Number of distinct terms ever indexed.
    public var vocabularySize: Int { lock.withReadLock { terms.values.count } }

    public func count() async throws -> Int { liveCount }

    // MARK: writes

    public func add(_ entries: [KeywordEntry]) async throws { try addSync(entries) }

    /// Adds entries (replacing existing ids) synchronously. Text is analysed before the lock is taken.
    public func addSync(_ entries: [KeywordEntry]) throws {
        for entry in entries where entry.id.isEmpty { throw HyperionError.invalid("id", "must not be empty") }
        let analysed = entries.map { analyzer.terms($0.text) }
        lock.withWriteLock {
            for (entry, words) in zip(entries, analysed) {
                var counts: [Int32: Int] = [:]
                for word in words { counts[terms.intern(word), default: 0] += 1 }
                if let old = table.slotByID[entry.id] { forget(old) }
                let slot = table.append(id: entry.id, metadata: entry.metadata)
                let distinct = counts.keys.sorted()
                while postingSlots.count < terms.values.count {
                    postingSlots.append([])
                    postingCounts.append([])
                    documentFrequency.append(0)
                }
                for term in distinct {
                    postingSlots[Int(term)].append(slot)
                    postingCounts[Int(term)].append(UInt16(clamping: counts[term]!))
                    documentFrequency[Int(term)] += 1
                }
                slotTerms.append(distinct)
                lengths.append(UInt32(words.count))
                liveLength += words.count
            }
        }
    }

    /// Takes a live slot out of the statistics (before its tombstone is set).
    private func forget(_ slot: UInt32) {
        guard !table.deleted[Int(slot)] else { return }
        for term in slotTerms[Int(slot)] { documentFrequency[Int(term)] -= 1 }
        liveLength -= Int(lengths[Int(slot)])
    }

    public func remove(ids: [String]) async throws { removeSync(ids: ids) }

    /// Deletes entries by id synchronously.
    public func removeSync(ids: [String]) {
        lock.withWriteLock {
            for id in ids {
                guard let slot = table.slotByID[id] else { continue }
                forget(slot)
                table.tombstone(slot)
            }
            if table.isWasteful { compactLocked() }
        }
    }

    public func remove(documentIDs: [String]) async throws { removeSync(documentIDs: documentIDs) }

    /// Deletes every entry of the given documents synchronously.
    public func removeSync(documentIDs: [String]) {
        lock.withWriteLock {
            for slot in table.slots(ofDocuments: documentIDs) {
                forget(slot)
                table.tombstone(slot)
            }
            if table.isWasteful { compactLocked() }
        }
    }

    /// Drops deleted entries from the postings.
    public func compact() { lock.withWriteLock { compactLocked() } }

    private func compactLocked() {
        guard table.slotCount != table.liveCount else { return }
        var fresh = EntryTable()
        var newSlot = [UInt32](repeating: .max, count: table.slotCount)
        var freshTerms: [[Int32]] = []
        var freshLengths: [UInt32] = []
        for slot in 0..<table.slotCount where !table.deleted[slot] {
            newSlot[slot] = fresh.append(id: table.ids[slot], metadata: table.metadata(UInt32(slot)))
            freshTerms.append(slotTerms[slot])
            freshLengths.append(lengths[slot])
        }
        for term in postingSlots.indices {
            var slots: [UInt32] = [], counts: [UInt16] = []
            for (slot, count) in zip(postingSlots[term], postingCounts[term]) where newSlot[Int(slot)] != .max {
                slots.append(newSlot[Int(slot)])
                counts.append(count)
            }
            postingSlots[term] = slots
            postingCounts[term] = counts
        }
        table = fresh
        slotTerms = freshTerms
        lengths = freshLengths
    }

    // MARK: search

    public func search(_ text: String, k: Int, filter: SearchFilter) async throws -> [IndexHit] {
        searchSync(text, k: k, filter: filter)
    }

    /// Searches synchronously, optionally with other parameters than the index's (for tuning).
    public func searchSync(_ text: String, k: Int, filter: SearchFilter = .none, parameters: BM25Parameters? = nil) -> [IndexHit] {
        guard k > 0 else { return [] }
        let words = analyzer.terms(text)
        guard !words.isEmpty else { return [] }
        let p = parameters ?? self.parameters
        return lock.withReadLock {
            guard table.liveCount > 0 else { return [] }
            var queryTerms: [Int32: Float] = [:]
            for word in words { if let term = terms.index[word] { queryTerms[term, default: 0] += 1 } }
            guard !queryTerms.isEmpty else { return [] }
            let admitted = table.admission(for: filter)
            let n = Float(table.liveCount)
            let averageLength = max(Float(liveLength) / n, 1e-6)
            var scores = [Float](repeating: 0, count: table.slotCount)
            var touched: [UInt32] = []
            for (term, weight) in queryTerms.sorted(by: { $0.key < $1.key }) {
                let df = Float(documentFrequency[Int(term)])
                guard df > 0 else { continue }
                let idf = log(1 + (n - df + 0.5) / (df + 0.5)) * weight
                let slots = postingSlots[Int(term)], counts = postingCounts[Int(term)]
                for i in slots.indices {
                    let slot = Int(slots[i])
                    if table.deleted[slot] { continue }
                    let tf = Float(counts[i])
                    let norm = p.k1 * (1 - p.b + p.b * Float(lengths[slot]) / averageLength)
                    if scores[slot] == 0 { touched.append(UInt32(slot)) }
                    scores[slot] += idf * tf * (p.k1 + 1) / (tf + norm)
                }
            }
            var top = TopK(k)
            for slot in touched where admitted?[Int(slot)] ?? true { top.offer(scores[Int(slot)], slot) }
            return top.sorted().map { IndexHit(id: table.ids[Int($0.slot)], documentID: table.documentID($0.slot), score: $0.score) }
        }
    }

    // MARK: persistence

    /// Writes the index to `url` atomically (new file, fsync, rename).
    public func save(to url: URL) throws {
        let payload: Data = lock.withReadLock {
            var writer = BinaryWriter()
            writer.write(UInt32(1))
            table.encode(into: &writer)
            writer.writeStrings(terms.values)
            writer.writeArray(lengths)
            // Postings flattened: per term an end offset into one slots and one counts array.
            var ends: [UInt64] = []
            var slots: [UInt32] = []
            var counts: [UInt16] = []
            for term in postingSlots.indices {
                slots.append(contentsOf: postingSlots[term])
                counts.append(contentsOf: postingCounts[term])
                ends.append(UInt64(slots.count))
            }
            writer.writeArray(ends)
            writer.writeArray(slots)
            writer.writeArray(counts)
            return writer.data
        }
        try IndexFile.write(payload, magic: Self.magic, to: url)
    }

    /// Loads an index saved by ``save(to:)``; throws ``IndexFileError`` when the file is missing or damaged.
    public static func load(from url: URL, parameters: BM25Parameters = .init(), analyzer: EnglishAnalyzer = .init()) throws -> BM25Index {
        var reader = BinaryReader(try IndexFile.read(magic: magic, from: url))
        guard try reader.read(UInt32.self) == 1 else { throw IndexFileError.corrupt("unknown keyword index version") }
        let table = try EntryTable.decode(from: &reader)
        let terms = Interner(values: try reader.readStrings())
        let lengths = try reader.readArray(UInt32.self)
        let ends = try reader.readArray(UInt64.self)
        let slots = try reader.readArray(UInt32.self)
        let counts = try reader.readArray(UInt16.self)
        guard reader.remaining == 0, lengths.count == table.slotCount, ends.count == terms.values.count,
              slots.count == counts.count, ends.last.map({ Int($0) == slots.count }) ?? slots.isEmpty,
              zip([0] + ends, ends).allSatisfy({ $0 <= $1 }), slots.allSatisfy({ Int($0) < table.slotCount })
        else { throw IndexFileError.corrupt("keyword index sections disagree") }

        let index = BM25Index(parameters: parameters, analyzer: analyzer)
        index.table = table
        index.terms = terms
        index.lengths = lengths
        index.slotTerms = Array(repeating: [], count: table.slotCount)
        var start = 0
        for (term, end) in ends.enumerated() {
            let range = start..<Int(end)
            index.postingSlots.append(Array(slots[range]))
            index.postingCounts.append(Array(counts[range]))
            var live: Int32 = 0
            for slot in slots[range] {
                index.slotTerms[Int(slot)].append(Int32(term))
                if !table.deleted[Int(slot)] { live += 1 }
            }
            index.documentFrequency.append(live)
            start = Int(end)
        }
        index.liveLength = (0..<table.slotCount).reduce(0) { $0 + (table.deleted[$1] ? 0 : Int(lengths[$1])) }
        return index
    }
}
