import CKernels
import Foundation
import Synchronization

/// Helper threads for `Parallel` that wait for the next piece of work by spinning briefly before sleeping.
///
/// One short query's forward pass hands work to the other core a few dozen times, a few hundred
/// microseconds apart. Waking a sleeping thread costs tens of microseconds in a virtual machine (a futex
/// and an inter-processor interrupt), which added up to a millisecond or more per query; a helper that is
/// still spinning picks the work up in well under a microsecond. After `spinLimit` idle pauses (a fraction of a
/// millisecond) a helper sleeps on a condition, so an idle embedder costs nothing.
final class SpinningWorkers: Sendable {
    /// State shared with the helper threads; the threads hold only this, so dropping the pool stops them.
    private final class Shared: @unchecked Sendable {
        /// Bumped (under `condition`) to publish `task`; negative asks the helpers to exit.
        let generation = Atomic<Int>(0)
        /// Helpers that have not finished the current task.
        let remaining = Atomic<Int>(0)
        let condition = NSCondition()
        // Guarded by `condition`.
        var sleepers = 0
        // Written by the publishing thread before `generation` is bumped (release) and cleared after every
        // helper has finished (acquire on `remaining`), so helpers only read it while it is stable.
        var task: ((Int) -> Void)?
    }

    private let shared = Shared()
    /// Whether a `run` is in progress: a second concurrent caller falls back instead of waiting.
    private let busy = Atomic<Bool>(false)
    let helperCount: Int
    private static let spinLimit = 20_000

    /// Starts `helperCount` helper threads (workers 1…helperCount; the caller of `run` is worker 0).
    init(helperCount: Int) {
        self.helperCount = helperCount
        let shared = self.shared
        for index in stride(from: 1, through: helperCount, by: 1) {
            let thread = Thread { SpinningWorkers.helperLoop(shared, index: index) }
            thread.name = "hyperion-embedding-\(index)"
            thread.start()
        }
    }

    deinit {
        shared.condition.lock()
        shared.generation.store(-1, ordering: .releasing)
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// Runs `body(worker)` for every worker in `0...helperCount`, the calling thread taking worker 0, and
    /// returns once all have finished. Returns false without running anything when another `run` is in
    /// progress (the caller then uses another way to run the work).
    func run(_ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            shared.task = body
            shared.remaining.store(helperCount, ordering: .relaxed)
            shared.condition.lock()
            shared.generation.add(1, ordering: .releasing)
            if shared.sleepers > 0 { shared.condition.broadcast() }
            shared.condition.unlock()
            body(0)
            while shared.remaining.load(ordering: .acquiring) > 0 { hyp_cpu_relax() }
            shared.task = nil
        }
        return true
    }

    private static func helperLoop(_ shared: Shared, index: Int) {
        var seen = 0
        while true {
            var current = shared.generation.load(ordering: .acquiring)
            var spins = 0
            while current == seen {
                if spins < spinLimit {
                    spins += 1
                    hyp_cpu_relax()
                } else {
                    shared.condition.lock()
                    shared.sleepers += 1
                    while shared.generation.load(ordering: .acquiring) == seen { shared.condition.wait() }
                    shared.sleepers -= 1
                    shared.condition.unlock()
                }
                current = shared.generation.load(ordering: .acquiring)
            }
            if current < 0 { return }
            seen = current
            shared.task?(index)
            shared.remaining.subtract(1, ordering: .releasing)
        }
    }
}
