import Foundation

/// The BEIR / trec_eval retrieval measures for one query or averaged over many.
public struct RetrievalMetrics: Sendable, Hashable, Codable {
    public var ndcgAt10: Double
    public var recallAt10: Double
    public var recallAt100: Double
    public var mrrAt10: Double

    enum CodingKeys: String, CodingKey {
        case ndcgAt10 = "ndcg@10", recallAt10 = "recall@10", recallAt100 = "recall@100", mrrAt10 = "mrr@10"
    }

    /// Scores one ranking (best first) against graded judgements (grade > 0 is relevant).
    /// nDCG uses trec_eval's linear gain and log2(rank + 1) discount; the ideal ranking is built from all
    /// judged documents. Recall@k is the share of relevant documents in the top k; MRR@10 the reciprocal
    /// rank of the first relevant document within 10.
    public static func score(ranking: [String], judgements: [String: Int]) -> RetrievalMetrics {
        let relevant = judgements.filter { $0.value > 0 }
        func dcg(_ gains: [Int]) -> Double {
            gains.prefix(10).enumerated().reduce(0) { $0 + Double($1.element) / log2(Double($1.offset) + 2) }
        }
        let gains = ranking.prefix(10).map { max(0, judgements[$0] ?? 0) }
        let ideal = dcg(relevant.values.sorted(by: >))
        func recall(_ k: Int) -> Double {
            relevant.isEmpty ? 0 : Double(ranking.prefix(k).filter { relevant[$0] != nil }.count) / Double(relevant.count)
        }
        let firstHit = ranking.prefix(10).firstIndex { relevant[$0] != nil }
        return RetrievalMetrics(
            ndcgAt10: ideal > 0 ? dcg(gains) / ideal : 0,
            recallAt10: recall(10), recallAt100: recall(100),
            mrrAt10: firstHit.map { 1 / Double($0 + 1) } ?? 0
        )
    }

    /// The mean of each measure.
    public static func mean(_ all: [RetrievalMetrics]) -> RetrievalMetrics {
        guard !all.isEmpty else { return RetrievalMetrics(ndcgAt10: 0, recallAt10: 0, recallAt100: 0, mrrAt10: 0) }
        let n = Double(all.count)
        return RetrievalMetrics(
            ndcgAt10: all.map(\.ndcgAt10).reduce(0, +) / n, recallAt10: all.map(\.recallAt10).reduce(0, +) / n,
            recallAt100: all.map(\.recallAt100).reduce(0, +) / n, mrrAt10: all.map(\.mrrAt10).reduce(0, +) / n
        )
    }
}
