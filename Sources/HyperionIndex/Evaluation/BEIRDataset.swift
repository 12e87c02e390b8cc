import Foundation

/// A retrieval test collection in BEIR's layout: corpus and queries as JSON lines, relevance judgements
/// as BEIR TSV (`query-id corpus-id score` with a header) or TREC qrels (`qid 0 docid rel`).
public struct BEIRDataset: Sendable {
    /// One corpus document.
    public struct Document: Sendable, Hashable {
        public var id: String
        public var title: String
        public var text: String
    }

    /// Corpus documents in file order.
    public var corpus: [Document]
    /// Query text by query id.
    public var queries: [String: String]
    /// Graded relevance by query id, then document id.
    public var qrels: [String: [String: Int]]

    /// Loads the three files; errors name the file and line.
    public static func load(corpus: URL, queries: URL, qrels: URL) throws -> BEIRDataset {
        BEIRDataset(corpus: try readCorpus(corpus), queries: try readQueries(queries), qrels: try readQrels(qrels))
    }

    private struct CorpusLine: Decodable {
        let _id: String
        let title: String?
        let text: String?
    }

    private struct QueryLine: Decodable {
        let _id: String
        let text: String
    }

    static func lines(_ url: URL) throws -> [(number: Int, text: Substring)] {
        let content: String
        do { content = try String(contentsOf: url, encoding: .utf8) }
        catch { throw EvaluationError("\(url.path): cannot read (\(error.localizedDescription))") }
        return content.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            line.allSatisfy(\.isWhitespace) ? nil : (index + 1, line)
        }
    }

    static func readCorpus(_ url: URL) throws -> [Document] {
        let decoder = JSONDecoder()
        return try lines(url).map { number, line in
            guard let row = try? decoder.decode(CorpusLine.self, from: Data(line.utf8)) else {
                throw EvaluationError("\(url.lastPathComponent) line \(number): expected {\"_id\", \"title\", \"text\"}")
            }
            return Document(id: row._id, title: row.title ?? "", text: row.text ?? "")
        }
    }

    static func readQueries(_ url: URL) throws -> [String: String] {
        let decoder = JSONDecoder()
        var queries: [String: String] = [:]
        for (number, line) in try lines(url) {
            guard let row = try? decoder.decode(QueryLine.self, from: Data(line.utf8)) else {
                throw EvaluationError("\(url.lastPathComponent) line \(number): expected {\"_id\", \"text\"}")
            }
            queries[row._id] = row.text
        }
        return queries
    }

    /// Reads BEIR TSV qrels (header `query-id corpus-id score`) or TREC qrels (`qid iter docid rel`).
    static func readQrels(_ url: URL) throws -> [String: [String: Int]] {
        var qrels: [String: [String: Int]] = [:]
        for (number, line) in try lines(url) {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if number == 1, fields.first == "query-id" { continue }
            let query: Substring, document: Substring, grade: Substring
            switch fields.count {
            case 3: (query, document, grade) = (fields[0], fields[1], fields[2])
            case 4: (query, document, grade) = (fields[0], fields[2], fields[3])
            default: throw EvaluationError("\(url.lastPathComponent) line \(number): expected 3 (BEIR) or 4 (TREC) fields")
            }
            guard let relevance = Int(grade) else {
                throw EvaluationError("\(url.lastPathComponent) line \(number): relevance \"\(grade)\" is not an integer")
            }
            qrels[String(query), default: [:]][String(document)] = relevance
        }
        return qrels
    }
}

/// A problem with evaluation input, naming the file and line.
public struct EvaluationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
