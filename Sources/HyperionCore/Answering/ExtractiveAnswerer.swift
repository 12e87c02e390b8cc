import Foundation

/// The answerer used when no LLM is configured: quotes the sentences of the retrieved passages that
/// best answer the question, each with its `[n]` citation. Deterministic: the same question and
/// sources always give the same answer.
///
/// A sentence's score mixes how much of the question's (idf-weighted) vocabulary it contains, how well
/// its passage ranked and, when a `similarity` function is given, its embedding similarity to the
/// question; headings and boilerplate (copyright lines, page numbers) count for little, so a heading that repeats
/// the question's words is not quoted as its answer. Nothing relevant (no shared term and no close sentence)
/// gives a plain "not found" answer.
public struct ExtractiveAnswerer: Sendable {
    /// The answer and the sources it quotes.
    public struct Answer: Sendable, Hashable {
        public var text: String
        /// Whether the documents held something relevant.
        public var found: Bool
    }

    /// Cosine similarities of the question to each sentence, in order (e.g. from the embedding model).
    public typealias Similarity = @Sendable (_ question: String, _ sentences: [String]) async throws -> [Float]

    /// Turns text into comparable terms (lower-cased, stemmed, stop words removed).
    public var terms: @Sendable (String) -> [String]
    public var similarity: Similarity?
    /// Most sentences quoted.
    public var maxSentences: Int
    /// Sentences scored by similarity (the best by keywords and rank), to bound the embedding work.
    public var similarityCandidates: Int

    /// The answer when nothing relevant was found.
    public static let notFound = "I could not find anything about this in the documents of this knowledge base."

    /// Creates the answerer.
    public init(terms: @escaping @Sendable (String) -> [String] = ExtractiveAnswerer.simpleTerms, similarity: Similarity? = nil,
                maxSentences: Int = 3, similarityCandidates: Int = 12) {
        self.terms = terms
        self.similarity = similarity
        self.maxSentences = maxSentences
        self.similarityCandidates = similarityCandidates
    }

    /// Lower-cased words of three letters or more without common English function words, for when no
    /// analyser is at hand (the server passes its stemming analyser).
    public static let simpleTerms: @Sendable (String) -> [String] = { text in
        text.lowercased().split { !$0.isLetter && !$0.isNumber }.filter { $0.count >= 3 && !stopWords.contains(String($0)) }.map(String.init)
    }

    static let stopWords: Set<String> = [
        "the", "and", "for", "are", "was", "were", "with", "that", "this", "from", "what", "which", "who", "whom", "how", "why",
        "when", "where", "does", "did", "has", "have", "had", "not", "but", "its", "can", "will", "would", "should", "could",
        "there", "their", "they", "them", "then", "than", "into", "about", "any", "all", "our", "your", "you", "his", "her",
    ]

    struct Candidate {
        var source: Int
        var position: Int
        var text: String
        var keyword: Double
        var prior: Double
        var similarity: Double?
        /// 1 for a sentence; less for a heading or boilerplate, which answer nothing even when they share words.
        var shape: Double
        var score: Double
    }

    /// How much a sentence looks like prose that can answer something: 1 for a sentence, 0.35 for a heading (short,
    /// no closing punctuation), 0.2 for boilerplate (copyright and licence lines, page numbers, navigation) unless the
    /// question is about such things.
    static func shape(of sentence: String, questionTerms: Set<String>) -> Double {
        let lower = sentence.lowercased()
        let boilerplate = ["copyright", "all rights reserved", "©", "licensed under", "license", "licence", "terms of use",
                           "privacy policy", "table of contents", "cookies", "page "]
        let asksAbout = questionTerms.contains { term in ["copyright", "licens", "licenc", "right", "term", "privaci", "privacy", "cooki", "cookie"].contains { term.hasPrefix($0) } }
        if !asksAbout, boilerplate.contains(where: { marker in
            marker == "page " ? lower.range(of: #"\bpage \d+( of \d+)?\b"#, options: .regularExpression) != nil && sentence.split(separator: " ").count <= 8
                              : lower.contains(marker)
        }) {
            return 0.2
        }
        let trimmed = sentence.trimmingCharacters(in: .whitespacesAndNewlines)
        let words = trimmed.split(whereSeparator: \.isWhitespace).count
        if trimmed.hasPrefix("#") { return 0.35 }
        if let last = trimmed.last, !".!?:;)\"”'’…".contains(last), words <= 10 { return 0.35 }
        return 1
    }

    /// Answers `question` from `sources` (given best first).
    public func answer(question: String, sources: [SourcePassage]) async throws -> Answer {
        let queryTerms = Set(terms(question))
        var candidates: [Candidate] = []
        var documentFrequency: [String: Int] = [:]
        var sentenceTerms: [Set<String>] = []
        for (rank, source) in sources.enumerated() {
            for (position, sentence) in SentenceSplitter.split(source.text).enumerated() where sentence.count >= 12 {
                let set = Set(terms(sentence))
                for term in set where queryTerms.contains(term) { documentFrequency[term, default: 0] += 1 }
                sentenceTerms.append(set)
                // Rank prior: the best passage 1, the fifth about 0.5.
                candidates.append(Candidate(source: source.n, position: position, text: sentence, keyword: 0,
                                            prior: 1 / (1 + 0.25 * Double(rank)), similarity: nil,
                                            shape: Self.shape(of: sentence, questionTerms: queryTerms), score: 0))
            }
        }
        guard !candidates.isEmpty else { return Answer(text: Self.notFound, found: false) }
        // idf over the candidate sentences themselves: a question word found everywhere says little.
        let count = Double(candidates.count)
        func idf(_ term: String) -> Double { log(1 + (count + 1) / (Double(documentFrequency[term] ?? 0) + 0.5)) }
        let possible = queryTerms.reduce(0) { $0 + idf($1) }
        for index in candidates.indices {
            let matched = sentenceTerms[index].intersection(queryTerms).reduce(0) { $0 + idf($1) }
            candidates[index].keyword = possible > 0 ? matched / possible : 0
            candidates[index].score = (0.75 * candidates[index].keyword + 0.25 * candidates[index].prior) * candidates[index].shape
        }
        var order = candidates.indices.sorted { isBetter(candidates[$0], candidates[$1]) }
        if let similarity {
            let shortlist = Array(order.prefix(similarityCandidates))
            let scores = try await similarity(question, shortlist.map { candidates[$0].text })
            for (index, value) in zip(shortlist, scores) {
                candidates[index].similarity = Double(value)
                candidates[index].score = (0.5 * Double(value) + 0.35 * candidates[index].keyword + 0.15 * candidates[index].prior) * candidates[index].shape
            }
            order = shortlist.sorted { isBetter(candidates[$0], candidates[$1]) }
        }
        guard let best = order.first.map({ candidates[$0] }), isRelevant(best) else { return Answer(text: Self.notFound, found: false) }
        var chosen: [Candidate] = []
        var seen = Set<String>()
        for index in order where chosen.count < maxSentences {
            let candidate = candidates[index]
            guard isRelevant(candidate), candidate.score >= 0.6 * best.score, seen.insert(candidate.text).inserted else { continue }
            chosen.append(candidate)
        }
        let lines = chosen.map { "“\(Self.clip($0.text))” [\($0.source)]" }
        return Answer(text: "From the documents:\n\n" + lines.joined(separator: "\n\n"), found: true)
    }

    func isRelevant(_ candidate: Candidate) -> Bool {
        if let similarity = candidate.similarity { return candidate.keyword > 0 || similarity >= 0.45 }
        return candidate.keyword > 0
    }

    /// Higher score first; ties by source then position, so the order never depends on hashing.
    func isBetter(_ a: Candidate, _ b: Candidate) -> Bool {
        if a.score != b.score { return a.score > b.score }
        if a.source != b.source { return a.source < b.source }
        return a.position < b.position
    }

    static func clip(_ sentence: String, limit: Int = 400) -> String {
        guard sentence.count > limit else { return sentence }
        let cut = sentence.prefix(limit)
        return String(cut[..<(cut.lastIndex(of: " ") ?? cut.endIndex)]) + "…"
    }
}
