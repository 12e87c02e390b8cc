import CKernels
import Foundation
import HyperionCore

/// Where a graph finds its vectors and how it measures them; distances are "lower is closer".
struct VectorSpace {
    let base: UnsafePointer<Float>
    let dimension: Int
    let isL2: Bool

    @inline(__always) func vector(_ slot: UInt32) -> UnsafePointer<Float> { base + Int(slot) * dimension }

    @inline(__always) func distance(_ query: UnsafePointer<Float>, _ slot: UInt32) -> Float {
        distance(query, vector(slot))
    }

    /// AVX2 + FMA where the CPU has it (the C kernels), portable SIMD otherwise.
    @inline(__always) func distance(_ query: UnsafePointer<Float>, _ other: UnsafePointer<Float>) -> Float {
        isL2 ? VectorMath.squaredDistance(query, other, dimension) : -VectorMath.dot(query, other, dimension)
    }

    /// Distances from `query` to `count` slots at once, each next vector prefetched while one is scored.
    @inline(__always) func distances(_ query: UnsafePointer<Float>, _ slots: UnsafePointer<UInt32>, count: Int,
                                     into out: UnsafeMutablePointer<Float>) {
        hyp_distances(query, base, Int32(dimension), slots, Int32(count), isL2, out)
    }
}

/// Marks visited nodes with a generation number so a search never clears an array.
struct VisitedSet {
    private var marks: [UInt16] = []
    private var generation: UInt16 = 0

    mutating func reset(count: Int) {
        if marks.count < count { marks.append(contentsOf: repeatElement(0, count: count - marks.count)) }
        generation &+= 1
        if generation == 0 {
            for i in marks.indices { marks[i] = 0 }
            generation = 1
        }
    }

    /// Marks `slot`; returns false when it was already marked.
    @inline(__always) mutating func insert(_ slot: UInt32) -> Bool {
        if marks[Int(slot)] == generation { return false }
        marks[Int(slot)] = generation
        return true
    }
}


/// A Hierarchical Navigable Small World graph over slots 0..<count (Malkov & Yashunin, 2018),
/// with the neighbour-selection heuristic. Links are kept in flat arrays: `[count, id, id, …]` per node.
struct HNSWGraph {
    let m: Int
    let m0: Int
    let efConstruction: Int
    private let levelScale: Double
    var rng: SplitMix64

    private(set) var levels: [UInt8] = []
    private(set) var links0: [UInt32] = []
    /// Per node, the start of its upper-layer blocks in `upperLinks` (-1: level 0 only).
    private(set) var upperOffset: [Int32] = []
    private(set) var upperLinks: [UInt32] = []
    private(set) var entry: UInt32 = 0
    private(set) var maxLevel: Int = -1

    var count: Int { levels.count }

    init(m: Int, efConstruction: Int, seed: UInt64) {
        self.m = m
        self.m0 = 2 * m
        self.efConstruction = efConstruction
        self.levelScale = 1 / log(Double(m))
        self.rng = SplitMix64(state: seed)
    }

    // MARK: links

    @inline(__always) private func blockStart(_ node: UInt32, _ level: Int) -> Int {
        level == 0 ? Int(node) * (m0 + 1) : Int(upperOffset[Int(node)]) + (level - 1) * (m + 1)
    }

    private func linkList(_ node: UInt32, _ level: Int) -> [UInt32] {
        let start = blockStart(node, level)
        let list = level == 0 ? links0 : upperLinks
        return Array(list[(start + 1)..<(start + 1 + Int(list[start]))])
    }

    private mutating func setLinks(_ node: UInt32, _ level: Int, _ list: [UInt32]) {
        let start = blockStart(node, level)
        if level == 0 {
            links0[start] = UInt32(list.count)
            for (i, id) in list.enumerated() { links0[start + 1 + i] = id }
        } else {
            upperLinks[start] = UInt32(list.count)
            for (i, id) in list.enumerated() { upperLinks[start + 1 + i] = id }
        }
    }

    // MARK: search

    /// Greedy walk on one layer towards `query`, from `start`.
    func greedy(_ query: UnsafePointer<Float>, from start: UInt32, level: Int, space: VectorSpace) -> UInt32 {
        var current = start
        var best = space.distance(query, current)
        var changed = true
        let list = level == 0 ? links0 : upperLinks
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: m0) { scores in
            list.withUnsafeBufferPointer { links in
                while changed {
                    changed = false
                    let start = blockStart(current, level)
                    let count = Int(links[start])
                    let neighbours = links.baseAddress! + start + 1
                    space.distances(query, neighbours, count: count, into: scores.baseAddress!)
                    for i in 0..<count where scores[i] < best {
                        best = scores[i]
                        current = neighbours[i]
                        changed = true
                    }
                }
                return current
            }
        }
    }

    /// Best-first search of one layer. Nodes that `admit` refuses are walked through but never returned,
    /// so deleted and filtered entries cannot leak and the walk still crosses them.
    func searchLayer(_ query: UnsafePointer<Float>, entry start: UInt32, ef: Int, level: Int, space: VectorSpace,
                     visited: inout VisitedSet, admit: ((UInt32) -> Bool)?) -> PairHeap {
        let list = level == 0 ? links0 : upperLinks
        var candidates = PairHeap(maxOnTop: false, capacity: ef * 4)
        var results = PairHeap(maxOnTop: true, capacity: ef + 1)
        visited.reset(count: count)
        _ = visited.insert(start)
        let d0 = space.distance(query, start)
        candidates.push(d0, start)
        if admit?(start) ?? true { results.push(d0, start) }
        // Unvisited neighbours of the node being expanded, scored in one call so their scattered vectors are
        // prefetched one ahead (the walk waits on memory more than on arithmetic).
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: m0) { freshBuffer in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: m0) { scoresBuffer in
                let fresh = freshBuffer.baseAddress!, scores = scoresBuffer.baseAddress!
                list.withUnsafeBufferPointer { links in
                    while !candidates.isEmpty {
                        let (distance, node) = candidates.pop()
                        if results.count >= ef, distance > results.topKey { break }
                        let start = blockStart(node, level)
                        var count = 0
                        for i in 0..<Int(links[start]) {
                            let next = links[start + 1 + i]
                            if visited.insert(next) {
                                fresh[count] = next
                                count += 1
                            }
                        }
                        space.distances(query, fresh, count: count, into: scores)
                        for i in 0..<count {
                            let d = scores[i], next = fresh[i]
                            if results.count < ef || d < results.topKey {
                                candidates.push(d, next)
                                if admit?(next) ?? true {
                                    results.push(d, next)
                                    if results.count > ef { results.pop() }
                                }
                            }
                        }
                    }
                }
            }
        }
        return results
    }

    /// The `ef`-best admitted nodes for `query`, closest first.
    func search(_ query: UnsafePointer<Float>, ef: Int, space: VectorSpace, visited: inout VisitedSet,
                admit: ((UInt32) -> Bool)?) -> [(distance: Float, slot: UInt32)] {
        guard maxLevel >= 0 else { return [] }
        var current = entry
        if maxLevel > 0 {
            for level in stride(from: maxLevel, to: 0, by: -1) { current = greedy(query, from: current, level: level, space: space) }
        }
        var heap = searchLayer(query, entry: current, ef: ef, level: 0, space: space, visited: &visited, admit: admit)
        var out: [(distance: Float, slot: UInt32)] = []
        out.reserveCapacity(heap.count)
        while !heap.isEmpty { let (d, s) = heap.pop(); out.append((d, s)) }
        return out.reversed()
    }

    // MARK: insert

    /// Keeps at most `limit` of `candidates` (closest first) that are not closer to an already kept one
    /// than to the base: the HNSW heuristic, which keeps links spread out.
    private func selectNeighbours(_ candidates: [(distance: Float, slot: UInt32)], limit: Int, space: VectorSpace) -> [UInt32] {
        if candidates.count <= limit { return candidates.map(\.slot) }
        var kept: [UInt32] = []
        kept.reserveCapacity(limit)
        for candidate in candidates {
            if kept.count >= limit { break }
            let vector = space.vector(candidate.slot)
            var good = true
            for other in kept where space.distance(vector, space.vector(other)) < candidate.distance {
                good = false
                break
            }
            if good { kept.append(candidate.slot) }
        }
        return kept
    }

    /// Adds the next slot (`count`) to the graph; its vector must already be in `space`.
    mutating func insert(space: VectorSpace, visited: inout VisitedSet) {
        let node = UInt32(levels.count)
        let level = min(Int(-log(max(rng.unit(), 1e-12)) * levelScale), 31)
        levels.append(UInt8(level))
        links0.append(contentsOf: repeatElement(0, count: m0 + 1))
        if level > 0 {
            upperOffset.append(Int32(upperLinks.count))
            upperLinks.append(contentsOf: repeatElement(0, count: level * (m + 1)))
        } else {
            upperOffset.append(-1)
        }
        guard maxLevel >= 0 else {
            entry = node
            maxLevel = level
            return
        }
        let query = space.vector(node)
        var current = entry
        if maxLevel > level {
            for l in stride(from: maxLevel, to: level, by: -1) { current = greedy(query, from: current, level: l, space: space) }
        }
        for l in stride(from: min(level, maxLevel), through: 0, by: -1) {
            var heap = searchLayer(query, entry: current, ef: efConstruction, level: l, space: space, visited: &visited, admit: nil)
            var found: [(distance: Float, slot: UInt32)] = []
            while !heap.isEmpty { let (d, s) = heap.pop(); if s != node { found.append((d, s)) } }
            found.reverse()
            guard !found.isEmpty else { continue }
            current = found[0].slot
            let chosen = selectNeighbours(found, limit: m, space: space)
            setLinks(node, l, chosen)
            let capacity = l == 0 ? m0 : m
            for neighbour in chosen {
                var list = linkList(neighbour, l)
                if list.count < capacity {
                    list.append(node)
                } else {
                    let base = space.vector(neighbour)
                    var scored = (list + [node]).map { (distance: space.distance(base, $0), slot: $0) }
                    scored.sort { $0.distance < $1.distance }
                    list = selectNeighbours(scored, limit: capacity, space: space)
                }
                setLinks(neighbour, l, list)
            }
        }
        if level > maxLevel {
            entry = node
            maxLevel = level
        }
    }

    // MARK: persistence

    func encode(into writer: inout BinaryWriter) {
        writer.write(UInt32(m))
        writer.write(UInt32(efConstruction))
        writer.write(rng.state)
        writer.write(entry)
        writer.write(Int32(maxLevel))
        writer.writeArray(levels)
        writer.writeArray(links0)
        writer.writeArray(upperOffset)
        writer.writeArray(upperLinks)
    }

    static func decode(from reader: inout BinaryReader, nodes: Int) throws -> HNSWGraph {
        let m = Int(try reader.read(UInt32.self))
        let efConstruction = Int(try reader.read(UInt32.self))
        guard m >= 2, m <= 4096, efConstruction >= 1 else { throw IndexFileError.corrupt("bad HNSW parameters") }
        var graph = HNSWGraph(m: m, efConstruction: efConstruction, seed: try reader.read(UInt64.self))
        graph.entry = try reader.read(UInt32.self)
        graph.maxLevel = Int(try reader.read(Int32.self))
        graph.levels = try reader.readArray(UInt8.self)
        graph.links0 = try reader.readArray(UInt32.self)
        graph.upperOffset = try reader.readArray(Int32.self)
        graph.upperLinks = try reader.readArray(UInt32.self)
        try graph.validate(nodes: nodes)
        return graph
    }

    /// Checks every link points at a node, so a damaged file cannot make a search read out of bounds.
    private func validate(nodes: Int) throws {
        let bad = IndexFileError.corrupt("HNSW graph does not match its vectors")
        guard levels.count == nodes, upperOffset.count == nodes, links0.count == nodes * (m0 + 1) else { throw bad }
        guard nodes == 0 || (Int(entry) < nodes && maxLevel == Int(levels[Int(entry)])) else { throw bad }
        for node in 0..<nodes {
            let level = Int(levels[node])
            guard level <= maxLevel else { throw bad }
            if level > 0 {
                let start = Int(upperOffset[node])
                guard start >= 0, start + level * (m + 1) <= upperLinks.count else { throw bad }
            } else if upperOffset[node] != -1 { throw bad }
            for l in 0...level {
                let start = blockStart(UInt32(node), l)
                let list = l == 0 ? links0 : upperLinks
                let n = Int(list[start])
                guard n <= (l == 0 ? m0 : m) else { throw bad }
                for i in 0..<n {
                    let target = Int(list[start + 1 + i])
                    guard target < nodes, Int(levels[target]) >= l else { throw bad }
                }
            }
        }
    }
}
