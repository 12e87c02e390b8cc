import Testing
@testable import HyperionIndex
import HyperionCore

@Suite("Pair heaps")
struct HeapTests {
    /// Interleaved pushes and pops against a sorted array, for both orders, with many equal keys.
    @Test(arguments: [false, true])
    func popsInKeyOrder(maxOnTop: Bool) {
        var generator = SplitMix64(state: 42)
        var heap = PairHeap(maxOnTop: maxOnTop)
        var reference: [(Float, UInt32)] = []
        for step in 0..<5_000 {
            if generator.next() % 3 != 0 || reference.isEmpty {
                let key = Float(generator.next() % 200) / 8
                heap.push(key, UInt32(step))
                reference.append((key, UInt32(step)))
            } else {
                let (key, slot) = heap.pop()
                let expected = maxOnTop ? reference.map(\.0).max()! : reference.map(\.0).min()!
                #expect(key == expected)
                // The popped pair is one that was pushed with that key, and leaves the reference.
                let index = reference.firstIndex { $0.0 == key && $0.1 == slot }
                #expect(index != nil)
                if let index { reference.remove(at: index) }
            }
            #expect(heap.count == reference.count)
        }
        var previous = maxOnTop ? Float.infinity : -Float.infinity
        while !heap.isEmpty {
            let (key, _) = heap.pop()
            #expect(maxOnTop ? key <= previous : key >= previous)
            previous = key
        }
    }
}
