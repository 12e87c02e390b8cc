/// A binary heap of (key, slot) pairs ordered by key; `maxOnTop` picks a max- or min-heap.
/// Hand-rolled because search loops push and pop millions of pairs and must not allocate.
struct PairHeap {
    private(set) var keys: [Float] = []
    private(set) var slots: [UInt32] = []
    let maxOnTop: Bool

    init(maxOnTop: Bool, capacity: Int = 0) {
        self.maxOnTop = maxOnTop
        keys.reserveCapacity(capacity)
        slots.reserveCapacity(capacity)
    }

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }
    var topKey: Float { keys[0] }
    var topSlot: UInt32 { slots[0] }

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
    }

    @inline(__always) private static func above(_ maxOnTop: Bool, _ a: Float, _ b: Float) -> Bool { maxOnTop ? a > b : a < b }

    mutating func push(_ key: Float, _ slot: UInt32) {
        keys.append(key)
        slots.append(slot)
        let maxOnTop = self.maxOnTop
        // One uniqueness check per array for the whole sift instead of one per swap.
        keys.withUnsafeMutableBufferPointer { keys in
            slots.withUnsafeMutableBufferPointer { slots in
                var child = keys.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard Self.above(maxOnTop, key, keys[parent]) else { break }
                    keys[child] = keys[parent]
                    slots[child] = slots[parent]
                    child = parent
                }
                keys[child] = key
                slots[child] = slot
            }
        }
    }

    @discardableResult
    mutating func pop() -> (key: Float, slot: UInt32) {
        let top = (keys[0], slots[0])
        let lastKey = keys.removeLast()
        let lastSlot = slots.removeLast()
        if !keys.isEmpty {
            let maxOnTop = self.maxOnTop
            // Sift the last pair down from the root, moving children up instead of swapping.
            keys.withUnsafeMutableBufferPointer { keys in
                slots.withUnsafeMutableBufferPointer { slots in
                    let n = keys.count
                    var parent = 0
                    while true {
                        let left = 2 * parent + 1
                        if left >= n { break }
                        var best = left
                        if left + 1 < n, Self.above(maxOnTop, keys[left + 1], keys[left]) { best = left + 1 }
                        guard Self.above(maxOnTop, keys[best], lastKey) else { break }
                        keys[parent] = keys[best]
                        slots[parent] = slots[best]
                        parent = best
                    }
                    keys[parent] = lastKey
                    slots[parent] = lastSlot
                }
            }
        }
        return top
    }
}

/// Keeps the `k` largest scores seen; `sorted()` returns them best first (ties by slot, for determinism).
struct TopK {
    private var heap: PairHeap
    let k: Int

    init(_ k: Int) {
        self.k = k
        heap = PairHeap(maxOnTop: false, capacity: k + 1)
    }

    var count: Int { heap.count }
    /// The score a candidate must beat to enter once full.
    var threshold: Float { heap.count < k ? -.infinity : heap.topKey }

    @inline(__always) mutating func offer(_ score: Float, _ slot: UInt32) {
        if heap.count < k { heap.push(score, slot) }
        else if score > heap.topKey { heap.pop(); heap.push(score, slot) }
    }

    func sorted() -> [(score: Float, slot: UInt32)] {
        zip(heap.keys, heap.slots).map { (score: $0, slot: $1) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.slot < $1.slot }
    }
}
