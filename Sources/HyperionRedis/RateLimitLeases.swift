import Foundation
import HyperionCore

/// Slots taken ahead from the shared window for a busy key, spent here without a round trip to Redis.
///
/// A caller that keeps a key busy (its previous lease was used up while still fresh) asks Redis for twice as many
/// slots as last time, up to `limit / 10` and at most 64; the window grants at most a quarter of what it has left. A key that
/// goes quiet, or nears its limit, shrinks back to one slot per call, which is the exact check. Every leased slot is counted in Redis when it is granted, so all instances together
/// never admit more than the limit; what a lease costs is time: a slot spent up to `lifetime` after its grant leaves
/// the window that much early. Slots left unspent when a lease goes stale are handed back to Redis with the next
/// request for that key (until then they count, for at most the window).
/// One request per key is in flight at a time; callers arriving meanwhile wait for it and then spend its slots, so
/// a burst admits exactly the limit on one instance.
actor RateLimitLeases {
    /// What the shared window answered a request for `want` slots.
    enum Answer: Sendable {
        /// `granted` slots (at least one) counted; `decision.remaining` is what the window has left after all of them.
        case granted(Int, RateLimitDecision)
        /// Nothing counted: the window is full.
        case refused(RateLimitDecision)
        /// The shared window could not be reached.
        case unavailable
    }

    /// What a caller waiting on a request learns.
    private enum Outcome: Sendable {
        case leased
        case refused(RateLimitDecision)
        case unavailable
    }

    /// What one request asks of the window.
    struct Request: Sendable {
        /// Slots wanted.
        var count: Int
        /// Names the granted slots (`<token>:1:<n>`).
        var token: String
        /// Slots of a stale lease to remove first.
        var returning: [String]
    }

    private struct Lease {
        var unused: Int
        var token: String
        var granted: Int
        /// Slots the window had left after the grant, not counting `unused`.
        var remaining: Int
        var limit: Int
        var resetSeconds: Int
        var expires: ContinuousClock.Instant
        /// Slots asked for last time.
        var size: Int
    }

    private var leases: [String: Lease] = [:]
    private var pending: [String: Task<Outcome, Never>] = [:]

    /// The largest lease for `rule`; below 2 a rule is always checked one event at a time.
    static func cap(_ rule: RateLimitRule) -> Int { min(64, rule.limit / 10) }

    /// How long leased slots stay spendable: a sixtieth of the window, at most a second.
    static func lifetime(_ rule: RateLimitRule) -> Duration { min(.seconds(1), rule.window / 60) }

    /// Admits one event under `rule`, from a fresh lease if one has slots left, else by asking the window.
    /// `nil` means the window is unavailable and the caller must decide without it.
    func admit(_ rule: RateLimitRule, ask: @escaping @Sendable (Request) async -> Answer) async -> RateLimitDecision? {
        let key = rule.key
        while true {
            let now = ContinuousClock.now
            if var lease = leases[key], lease.expires > now, lease.unused > 0 {
                lease.unused -= 1
                leases[key] = lease
                return RateLimitDecision(allowed: true, limit: lease.limit, remaining: lease.remaining + lease.unused, resetSeconds: lease.resetSeconds)
            }
            let request: Task<Outcome, Never>
            if let running = pending[key] {
                request = running
            } else {
                request = fetch(rule, now: now, ask: ask)
                pending[key] = request
            }
            switch await request.value {
            case .leased: continue
            case .refused(let decision): return decision
            case .unavailable: return nil
            }
        }
    }

    /// Gives a slot back to a fresh lease; false when there is none (the caller takes it back from the window).
    func giveBack(_ key: String) -> Bool {
        guard var lease = leases[key], lease.expires > .now else { return false }
        lease.unused += 1
        leases[key] = lease
        return true
    }

    /// Drops the lease of `key`.
    func forget(_ key: String) {
        leases[key] = nil
    }

    /// Asks the window for the next lease of `rule`; the slots are in `leases` before any waiter resumes.
    private func fetch(_ rule: RateLimitRule, now: ContinuousClock.Instant, ask: @escaping @Sendable (Request) async -> Answer) -> Task<Outcome, Never> {
        var request = Request(count: 1, token: UUID().uuidString, returning: [])
        if let last = leases[rule.key] {
            // Used up while fresh: busy, so ask for more; gone stale: quieter, so ask for fewer, and hand back what
            // it left unspent.
            request.count = last.expires > now ? min(last.size * 2, Self.cap(rule)) : max(1, last.size / 2)
            if last.unused > 0 {
                request.returning = (max(1, last.granted - last.unused + 1)...max(1, last.granted)).map { "\(last.token):1:\($0)" }
            }
            leases[rule.key]?.unused = 0
        }
        return Task {
            let answer = await ask(request)
            pending[rule.key] = nil
            switch answer {
            case .granted(let granted, let decision):
                if leases.count > 10_000 { leases = leases.filter { $0.value.expires > .now } }
                leases[rule.key] = Lease(unused: granted, token: request.token, granted: granted, remaining: decision.remaining, limit: decision.limit,
                                         resetSeconds: decision.resetSeconds, expires: .now + Self.lifetime(rule), size: request.count)
                return .leased
            case .refused(let decision):
                return .refused(decision)
            case .unavailable:
                return .unavailable
            }
        }
    }
}
