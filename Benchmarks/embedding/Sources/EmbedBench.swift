import Foundation
import HyperionCore
import HyperionEmbedding

/// Throughput, latency and memory of `SentenceEmbedder` on the SciFact corpus.
///
/// Usage: hyperion-embed-bench [--model DIR] [--corpus FILE] [--queries FILE] [--limit N] [--threads N] [--query-count N]
/// Prints human-readable lines on stderr and one JSON object on stdout.
@main
struct EmbedBench {
    static func main() async throws {
        var options: [String: String] = [:]
        var arguments = CommandLine.arguments.dropFirst()
        while let key = arguments.popFirst() {
            guard key.hasPrefix("--"), let value = arguments.popFirst() else {
                log("usage: hyperion-embed-bench [--model DIR] [--corpus FILE] [--queries FILE] [--limit N] [--threads N] [--query-count N]")
                exit(2)
            }
            options[String(key.dropFirst(2))] = value
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let model = URL(fileURLWithPath: options["model"] ?? root.appendingPathComponent("data/models/all-MiniLM-L6-v2").path)
        let corpusURL = URL(fileURLWithPath: options["corpus"] ?? root.appendingPathComponent("../shared/data/scifact/corpus.jsonl").path)
        let queriesURL = URL(fileURLWithPath: options["queries"] ?? root.appendingPathComponent("../shared/data/scifact/queries.train.jsonl").path)
        let threads = Int(options["threads"] ?? "2") ?? 2
        let limit = Int(options["limit"] ?? "") ?? Int.max
        let queryCount = Int(options["query-count"] ?? "200") ?? 200

        let documents = try jsonLines(corpusURL).prefix(limit).map { "\($0["title"] ?? "") \($0["text"] ?? "")" }
        var queries = (try? jsonLines(queriesURL).map { $0["text"] ?? "" }) ?? []
        if queries.isEmpty { queries = ["What is the role of microRNA in cancer?"] }

        // (c) memory added by loading the model.
        let rssBefore = residentKiB()
        let embedder = try SentenceEmbedder(modelFolder: model, threads: threads)
        let rssAfter = residentKiB()
        let rssAddedMB = Double(rssAfter - rssBefore) / 1024
        log("model \(embedder.modelID): RSS +\(format(rssAddedMB)) MB (\(rssBefore / 1024) → \(rssAfter / 1024) MB)")

        // Warm-up: first calls pay for page faults and OpenBLAS thread start.
        _ = try embedder.embedBatch(Array(documents.prefix(32)))

        // (a) + (d) documents per second and achieved GFLOP/s.
        let flops = embedder.matmulFLOPs(documents)
        let clock = ContinuousClock()
        let start = clock.now
        let vectors = try embedder.embedBatch(documents)
        let seconds = (clock.now - start).seconds
        precondition(vectors.count == documents.count)
        let docsPerSecond = Double(documents.count) / seconds
        let gflops = flops / seconds / 1e9
        log("\(documents.count) documents in \(format(seconds)) s: \(format(docsPerSecond)) docs/s, \(format(gflops)) GFLOP/s")

        // (b) single short query latency through the async, prioritised path the server uses.
        var latencies: [Double] = []
        for index in 0..<queryCount {
            let query = queries[index % queries.count]
            let begin = clock.now
            _ = try await embedder.embed([query], purpose: .query)
            latencies.append((clock.now - begin).seconds * 1000)
        }
        latencies.sort()
        let p50 = percentile(latencies, 0.50), p99 = percentile(latencies, 0.99)
        log("query latency over \(queryCount): p50 \(format(p50)) ms, p99 \(format(p99)) ms")
        // The same on the caller's thread, without the scheduler, to show what the hand-off costs.
        var direct: [Double] = []
        for index in 0..<queryCount {
            let begin = clock.now
            _ = try embedder.embedBatch([queries[index % queries.count]])
            direct.append((clock.now - begin).seconds * 1000)
        }
        direct.sort()
        let directP50 = percentile(direct, 0.50)
        log("query latency with embedBatch (no scheduler): p50 \(format(directP50)) ms")

        let result: [String: Any] = [
            "impl": "swift", "documents": documents.count, "seconds": seconds, "docs_per_s": docsPerSecond,
            "gflops": gflops, "query_p50_ms": p50, "query_p99_ms": p99, "query_direct_p50_ms": directP50, "rss_added_mb": rssAddedMB, "threads": threads,
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    static func jsonLines(_ url: URL) throws -> [[String: String]] {
        let data = try Data(contentsOf: url)
        return data.split(separator: UInt8(ascii: "\n")).compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any]
        }.map { object in object.compactMapValues { $0 as? String } }
    }

    /// VmRSS of this process in KiB, from /proc/self/status.
    static func residentKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
