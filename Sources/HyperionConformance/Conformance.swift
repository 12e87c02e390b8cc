import HyperionCore

/// One named check of a conformance suite, run against an implementation through a harness that makes fresh
/// instances of it. A test target runs every check of a suite (each as its own test case) for each implementation:
///
/// ```swift
/// @Test(arguments: VectorIndexConformance.checks)
/// func localIndex(_ check: ConformanceCheck<VectorIndexHarness>) async throws {
///     try await check.run(VectorIndexHarness { LocalVectorIndex(dimension: $0) })
/// }
/// ```
public struct ConformanceCheck<Harness: Sendable>: Sendable, CustomStringConvertible {
    /// What the check proves, in a few words.
    public let name: String
    let body: @Sendable (Harness) async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable (Harness) async throws -> Void) {
        self.name = name
        self.body = body
    }

    /// Runs the check; throws ``ConformanceFailure`` at the first expectation the implementation breaks.
    public func run(_ harness: Harness) async throws {
        try await body(harness)
    }

    public var description: String { name }
}

/// An expectation of a conformance suite that an implementation broke.
public struct ConformanceFailure: Error, CustomStringConvertible {
    /// What was expected and what came instead.
    public let message: String
    /// Where in the suite.
    public let line: UInt

    public var description: String { "conformance line \(line): \(message)" }
}

/// Fails the running check unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String, line: UInt = #line) throws {
    if !condition { throw ConformanceFailure(message: message(), line: line) }
}

/// Fails unless the two values are equal, saying both.
func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: @autoclosure () -> String, line: UInt = #line) throws {
    if actual != expected { throw ConformanceFailure(message: "\(what()): got \(actual), expected \(expected)", line: line) }
}

/// Fails unless `body` throws.
func expectThrows(_ what: @autoclosure () -> String, line: UInt = #line, _ body: () async throws -> Void) async throws {
    do { try await body() } catch { return }
    throw ConformanceFailure(message: "\(what()) did not throw", line: line)
}

extension SplitMix64 {
    /// A generator seeded with `seed`, so a failing check fails the same way every run.
    init(seed: UInt64) { self.init(state: seed) }

    /// A random unit vector.
    mutating func unitVector(_ dimension: Int) -> [Float] {
        let v = (0..<dimension).map { _ in Float.random(in: -1...1, using: &self) }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }
}
