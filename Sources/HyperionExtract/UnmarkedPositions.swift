/// Positions `0..<count` not yet marked, found in amortised near-constant time (union-find over "next
/// unmarked", with path halving). `first(from:)` answers `count` when none is left.
struct UnmarkedPositions {
    private var next: [Int]

    init(count: Int) { next = Array(0...count) }

    mutating func mark(_ position: Int) { next[position] = position + 1 }

    mutating func first(from position: Int) -> Int {
        var p = position
        while next[p] != p {
            next[p] = next[next[p]]
            p = next[p]
        }
        return p
    }
}
