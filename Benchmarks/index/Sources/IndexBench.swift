import Foundation
import HyperionCore
import HyperionIndex

#if canImport(Glibc)
import Glibc
#endif

/// Build time, memory and single-thread query speed of HyperionIndex, for Benchmarks/index/run.sh.
///
///   hyperion-index-bench vector --vectors F.f32 --queries Q.f32 --ground-truth G.i32 [--kind hnsw|flat]
///       [--dim 384] [--m 16] [--ef-construction 100] [--ef 10,16,32,64] [--k 10] [--metric cosine|dot|l2]
///       [--limit N] [--passes 5] [--dataset NAME] [--serve 1] [--persist-dir DIR] [--loads 3]
///   hyperion-index-bench bm25 --corpus corpus.jsonl --queries queries.jsonl [--k 10] [--k1 0.9] [--b 0.4]
///       [--passes 5] [--results-out FILE]
///
/// Files: `.f32` is raw little-endian float32, row-major, `dim` floats per row; `.i32` is raw int32, the
/// exact top-k row numbers of each query (best first), `k` per query. Human-readable lines go to stderr,
/// one JSON object per line to stdout: `{"type":"build",…}` then one `{"type":"search",…}` per efSearch,
/// or with `--serve 1` answers to commands on stdin (see `serve`; Benchmarks/index/compare.py drives it).
/// `--kind flat` measures exact search (BLAS) through the same `LocalVectorIndex` (its exact path, kept
/// by an `exactThreshold` the index never reaches) instead of HNSW.
/// Persistence (unless `--persist-dir ""`): after the build the index is saved with `save(to:)` into
/// `--persist-dir` (default: the temporary directory), its pages are dropped from the page cache
/// (`posix_fadvise` DONTNEED on that one file), then it is loaded with `LocalVectorIndex.load(from:)`:
/// once cold (from disk) and `--loads` − 1 more times warm; the built index is released first and every
/// search runs on the last loaded copy, so recall also checks the round trip. The file is deleted after.
/// Query speed is single-threaded, one query at a time through the public `searchSync`, and taken from
/// the fastest of `passes` passes over all queries (after an untimed pass that also measures recall).
/// Every time is taken twice: wall clock (`qps`, `build_s`) and CPU time of the process (`cpu_qps`,
/// `build_cpu_s`); on a shared machine the CPU figures are the steadier ones.
@main
struct IndexBench {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard let mode = arguments.first, mode == "vector" || mode == "bm25" else { usage() }
        arguments.removeFirst()
        var options: [String: String] = [:]
        var rest = arguments[...]
        while let key = rest.popFirst() {
            guard key.hasPrefix("--"), let value = rest.popFirst() else { usage() }
            options[String(key.dropFirst(2))] = value
        }
        if mode == "vector" { try vector(options) } else { try bm25(options) }
    }

    static func usage() -> Never {
        log("""
        usage: hyperion-index-bench vector --vectors F.f32 --queries Q.f32 --ground-truth G.i32 [--kind hnsw|flat]
                 [--dim 384] [--m 16] [--ef-construction 100] [--ef 10,16,32,64] [--k 10] [--metric cosine|dot|l2]
                 [--limit N] [--passes 5] [--dataset NAME] [--serve 1] [--persist-dir DIR] [--loads 3]
               hyperion-index-bench bm25 --corpus corpus.jsonl --queries queries.jsonl [--k 10] [--k1 0.9] [--b 0.4]
                 [--passes 5] [--results-out FILE]
        """)
        exit(2)
    }

    // MARK: vector

    static func vector(_ options: [String: String]) throws {
        guard let vectorsPath = options["vectors"], let queriesPath = options["queries"],
              let truthPath = options["ground-truth"] else { usage() }
        let dim = Int(options["dim"] ?? "384") ?? 384
        let m = Int(options["m"] ?? "16") ?? 16
        let efConstruction = Int(options["ef-construction"] ?? "100") ?? 100
        let efs = (options["ef"] ?? "10,16,24,32,48,64,96,128").split(separator: ",").compactMap { Int($0) }
        let k = Int(options["k"] ?? "10") ?? 10
        let passes = max(1, Int(options["passes"] ?? "5") ?? 5)
        let kind = options["kind"] ?? "hnsw"
        guard kind == "hnsw" || kind == "flat" else { usage() }
        guard let metric = VectorMetric(rawValue: options["metric"] ?? "cosine") else { usage() }
        let dataset = options["dataset"] ?? URL(fileURLWithPath: vectorsPath).deletingPathExtension().lastPathComponent

        var base = try readFloats(vectorsPath)
        precondition(base.count % dim == 0, "\(vectorsPath) is not a whole number of \(dim)-d rows")
        let n = min(base.count / dim, Int(options["limit"] ?? "") ?? Int.max)
        base.removeLast(base.count - n * dim)
        let flatQueries = try readFloats(queriesPath)
        let queries = stride(from: 0, to: flatQueries.count, by: dim).map { Array(flatQueries[$0..<($0 + dim)]) }
        let truthFlat = try readInt32s(truthPath)
        precondition(truthFlat.count % queries.count == 0, "ground truth does not match the query count")
        let truthK = truthFlat.count / queries.count
        precondition(truthK >= k, "ground truth has \(truthK) per query, fewer than k \(k)")
        let truth = (0..<queries.count).map { Set(truthFlat[($0 * truthK)..<($0 * truthK + k)].map(Int.init)) }
        if truth.contains(where: { $0.contains { $0 >= n } }) {
            log("warning: ground truth refers to rows beyond --limit; recall will be low")
        }

        // The input as the server hands it over: one entry per row. Built before the memory baseline.
        var entries: [VectorEntry] = []
        entries.reserveCapacity(n)
        for row in 0..<n {
            let id = String(row)
            entries.append(VectorEntry(id: id, vector: Array(base[(row * dim)..<((row + 1) * dim)]), metadata: EntryMetadata(documentID: id)))
        }
        base = []
        let rawMB = Double(n * dim * 4) / 1_048_576
        log("\(dataset): \(n) vectors × \(dim) (\(format(rawMB)) MB raw), \(queries.count) queries, metric \(metric.rawValue)")

        // Build, one thread: HNSW from the first vector (exactThreshold 0), or exact search only (BLAS
        // matrix–vector product through the same index type), for the flat comparison.
        let before = memory()
        let clock = ContinuousClock()
        let start = clock.now
        let startCPU = cpuSeconds()
        let settings = kind == "hnsw"
            ? VectorIndexSettings(metric: metric, m: m, efConstruction: efConstruction, efSearch: 64, exactThreshold: 0, seed: 42)
            : VectorIndexSettings(metric: metric, exactThreshold: Int.max)
        var index = LocalVectorIndex(dimension: dim, settings: settings)
        try index.addSync(entries)
        let buildSeconds = (clock.now - start).seconds
        let buildCPU = cpuSeconds() - startCPU
        precondition(index.usesGraph == (kind == "hnsw"), "unexpected index kind")
        let rssMB = Double(memory() - before) / 1_048_576
        entries = []
        log("hyperion \(kind == "hnsw" ? "hnsw M=\(m) efConstruction=\(efConstruction)" : "exact"): build \(format(buildSeconds)) s (CPU \(format(buildCPU)) s), RSS +\(format(rssMB)) MB (\(format(rssMB / rawMB))× raw)")
        var build: [String: Any] = [
            "type": "build", "impl": "hyperion", "kind": kind, "dataset": dataset, "n": n, "dim": dim,
            "build_s": buildSeconds, "build_cpu_s": buildCPU, "memory_mb": rssMB,
            "raw_mb": rawMB, "threads": 1, "queries": queries.count, "metric": metric.rawValue,
        ]
        if kind == "hnsw" { build["m"] = m; build["ef_construction"] = efConstruction }

        // Save, then load the way a restarting server does; searches below use the loaded copy.
        let persistDir = options["persist-dir"] ?? FileManager.default.temporaryDirectory.path
        if !persistDir.isEmpty {
            let file = URL(fileURLWithPath: persistDir)
                .appendingPathComponent("hyperion-\(kind)-\(dataset)-\(getpid()).hypvec")
            defer { try? FileManager.default.removeItem(at: file) }
            let saveStart = clock.now
            try index.save(to: file)
            let saveSeconds = (clock.now - saveStart).seconds
            let fileMB = Double((try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0) / 1_048_576
            index = LocalVectorIndex(dimension: 1)  // release the built index before loading
            let evicted = dropFromPageCache(file.path)
            var loads: [(wall: Double, cpu: Double)] = []
            for _ in 0..<max(1, Int(options["loads"] ?? "3") ?? 3) {
                index = LocalVectorIndex(dimension: 1)
                let loadStart = clock.now
                let loadCPU = cpuSeconds()
                index = try LocalVectorIndex.load(from: file, settings: settings)
                loads.append(((clock.now - loadStart).seconds, cpuSeconds() - loadCPU))
            }
            precondition(index.liveCount == n && index.dimension == dim && index.usesGraph == (kind == "hnsw"),
                         "the loaded index differs from the built one")
            let warm = loads.count > 1 ? loads.dropFirst().min { $0.wall < $1.wall }! : loads[0]
            log("persisted: \(format(fileMB)) MB, save \(format(saveSeconds)) s, load \(evicted ? "cold" : "first (page cache not dropped)") \(String(format: "%.3f", loads[0].wall)) s, warm \(String(format: "%.3f", warm.wall)) s")
            build["file_mb"] = fileMB
            build["save_s"] = saveSeconds
            build["load_cold_s"] = loads[0].wall
            build["load_cold_cpu_s"] = loads[0].cpu
            build["load_cold_evicted"] = evicted
            build["load_s"] = warm.wall
            build["load_cpu_s"] = warm.cpu
        }
        emit(build)

        let searched = index
        let search: (Int) -> ([Float]) throws -> [IndexHit] = { ef in
            kind == "hnsw" ? { try searched.searchSync($0, k: k, efSearch: ef) } : { try searched.searchSync($0, k: k) }
        }
        if options["serve"] == "1" {
            try serve(queries, truth: truth, k: k, search: search)
            return
        }
        for ef in kind == "hnsw" ? efs : [0] {
            let result = try measure(queries, truth: truth, k: k, passes: kind == "hnsw" ? passes : min(passes, 2), search(ef))
            log("  ef \(ef): recall@\(k) \(String(format: "%.4f", result.recall)), \(format(result.qps)) q/s (CPU: \(format(result.cpuQPS)))")
            emit([
                "type": "search", "impl": "hyperion", "kind": kind, "dataset": dataset, "ef": ef, "k": k,
                "recall": result.recall, "qps": result.qps, "cpu_qps": result.cpuQPS, "p50_us": result.p50us,
            ])
        }
    }

    /// Answers commands on stdin, one per line, so compare.py can interleave the timed passes of every
    /// library (each sees the same load on a shared machine): `recall EF` → `{"recall": …}`,
    /// `pass EF` → one timed pass after a short warm-up, `{"seconds": …, "cpu_seconds": …, "p50_us": …}`;
    /// `quit` or end of input stops.
    static func serve(_ queries: [[Float]], truth: [Set<Int>], k: Int,
                      search: (Int) -> ([Float]) throws -> [IndexHit]) throws {
        emit(["type": "ready"])
        while let line = readLine() {
            let words = line.split(separator: " ")
            guard words.count == 2, let ef = Int(words[1]) else { break }
            let run = search(ef)
            switch words[0] {
            case "recall":
                var hits = 0
                for (query, expected) in zip(queries, truth) {
                    for hit in try run(query) where expected.contains(Int(hit.id)!) { hits += 1 }
                }
                emit(["type": "recall", "ef": ef, "recall": Double(hits) / Double(queries.count * k)])
            case "pass":
                for query in queries.prefix(50) { _ = try run(query) }
                let timing = try timePasses(queries, passes: 1) { try run($0).count }
                emit(["type": "pass", "ef": ef, "seconds": Double(queries.count) / timing.qps,
                      "cpu_seconds": Double(queries.count) / timing.cpuQPS, "p50_us": timing.p50us])
            default:
                return
            }
        }
    }

    struct Measured { var recall: Double; var qps: Double; var cpuQPS: Double; var p50us: Double }

    /// One untimed pass for recall (and warm-up), then `passes` timed passes; the fastest counts.
    static func measure(_ queries: [[Float]], truth: [Set<Int>], k: Int, passes: Int,
                        _ search: ([Float]) throws -> [IndexHit]) throws -> Measured {
        var hits = 0
        for (query, expected) in zip(queries, truth) {
            for hit in try search(query) where expected.contains(Int(hit.id)!) { hits += 1 }
        }
        let timing = try timePasses(queries, passes: passes) { try search($0).count }
        return Measured(recall: Double(hits) / Double(queries.count * k), qps: timing.qps, cpuQPS: timing.cpuQPS, p50us: timing.p50us)
    }

    /// Runs `body` over every query `passes` times; queries per second of the fastest pass by wall clock
    /// and by process CPU time, and the median single-query latency of the fastest wall-clock pass.
    static func timePasses<Query>(_ queries: [Query], passes: Int, _ body: (Query) throws -> Int) rethrows
        -> (qps: Double, cpuQPS: Double, p50us: Double) {
        let clock = ContinuousClock()
        var best = Double.infinity, bestCPU = Double.infinity
        var latencies = [Double](repeating: 0, count: queries.count)
        var bestLatencies = latencies
        var sink = 0
        for _ in 0..<passes {
            let start = clock.now
            let startCPU = cpuSeconds()
            for (i, query) in queries.enumerated() {
                let begin = clock.now
                sink &+= try body(query)
                latencies[i] = (clock.now - begin).seconds
            }
            let cpu = cpuSeconds() - startCPU
            let seconds = (clock.now - start).seconds
            bestCPU = min(bestCPU, cpu)
            if seconds < best { best = seconds; bestLatencies = latencies }
        }
        precondition(sink >= 0)
        bestLatencies.sort()
        return (Double(queries.count) / best, Double(queries.count) / bestCPU, bestLatencies[bestLatencies.count / 2] * 1e6)
    }

    // MARK: bm25

    static func bm25(_ options: [String: String]) throws {
        guard let corpusPath = options["corpus"], let queriesPath = options["queries"] else { usage() }
        let k = Int(options["k"] ?? "10") ?? 10
        let passes = max(1, Int(options["passes"] ?? "5") ?? 5)
        let parameters = BM25Parameters(k1: Float(options["k1"] ?? "0.9") ?? 0.9, b: Float(options["b"] ?? "0.4") ?? 0.4)

        let entries = try jsonLines(corpusPath).map { document -> KeywordEntry in
            let id = document["_id"] ?? ""
            return KeywordEntry(id: id, text: "\(document["title"] ?? "") \(document["text"] ?? "")", metadata: EntryMetadata(documentID: id))
        }
        let queries = try jsonLines(queriesPath).map { $0["text"] ?? "" }
        log("bm25: \(entries.count) documents, \(queries.count) queries, k1 \(parameters.k1) b \(parameters.b)")

        let before = memory()
        let clock = ContinuousClock()
        let start = clock.now
        let startCPU = cpuSeconds()
        let index = BM25Index(parameters: parameters)
        try index.addSync(entries)
        let buildSeconds = (clock.now - start).seconds
        let buildCPU = cpuSeconds() - startCPU
        let after = memory()
        let rssMB = Double(after - before) / 1_048_576
        log("hyperion bm25: index \(format(buildSeconds)) s, \(index.vocabularySize) terms, RSS +\(format(rssMB)) MB")

        var results: [[String]] = []
        for query in queries { results.append(index.searchSync(query, k: k).map(\.id)) }
        let timing = timePasses(queries, passes: passes) { index.searchSync($0, k: k).count }
        log("hyperion bm25: \(format(timing.qps)) q/s single-threaded (CPU: \(format(timing.cpuQPS)))")
        if let out = options["results-out"] {
            let lines = results.map { ids in String(decoding: try! JSONSerialization.data(withJSONObject: ids), as: UTF8.self) }
            try (lines.joined(separator: "\n") + "\n").write(toFile: out, atomically: true, encoding: .utf8)
        }
        emit([
            "type": "build", "impl": "hyperion", "kind": "bm25", "dataset": "scifact", "n": entries.count,
            "build_s": buildSeconds, "build_cpu_s": buildCPU, "memory_mb": rssMB,
            "terms": index.vocabularySize, "threads": 1, "queries": queries.count,
        ])
        emit([
            "type": "search", "impl": "hyperion", "kind": "bm25", "dataset": "scifact", "k": k, "qps": timing.qps,
            "cpu_qps": timing.cpuQPS, "p50_us": timing.p50us,
        ])
    }

    // MARK: helpers

    /// Drops one file's cached pages (it was fsynced by `save`, so they are clean), so the next read comes
    /// from the disk without touching the rest of the page cache. False when the kernel refused.
    static func dropFromPageCache(_ path: String) -> Bool {
        #if canImport(Glibc)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED)) == 0
        #else
        return false
        #endif
    }

    static func readFloats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        precondition(data.count % 4 == 0, "\(path) is not float32")
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
    }

    static func readInt32s(_ path: String) throws -> [Int32] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        precondition(data.count % 4 == 0, "\(path) is not int32")
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) } }
    }

    static func jsonLines(_ path: String) throws -> [[String: String]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.split(separator: UInt8(ascii: "\n")).compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any]
        }.map { object in object.compactMapValues { $0 as? String } }
    }

    /// Resident set size in bytes, after returning free heap pages to the system so memory freed by a
    /// build (temporary copies) is not counted as the index's.
    static func memory() -> Int {
        #if canImport(Glibc)
        // glibc's malloc_trim is not in Swift's Glibc module; RTLD_DEFAULT is a null handle.
        if let symbol = dlsym(nil, "malloc_trim") {
            _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        #endif
        var rss = 0
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
                rss = (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
            }
        }
        return rss
    }

    /// CPU time of this process (all threads), in seconds.
    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func emit(_ object: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
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
