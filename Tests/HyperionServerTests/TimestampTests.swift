import Foundation
@testable import HyperionServer
import Testing

@Suite("API timestamps")
struct TimestampTests {
    @Test("the hand-written ISO 8601 formatting equals Foundation's, milliseconds truncated")
    func matchesFoundation() {
        var edges: [Double] = [0, 1, 1.0005, 1.9999, -0.0001, -1.5, -86_400, -86_400.5, 951_782_400, 951_868_799.999,
                               1_709_164_800, 4_102_444_800, 1_764_145_812.9995, 1_764_145_812.000_499_9, 253_402_300_799.999,
                               -62_135_596_800, -2_208_988_800.25, 978_307_200.001]
        // Years 1 to 9999 in 20,000 steps of a little under half a year, each with a different fraction of a second.
        for step in 0..<20_000 {
            edges.append(-62_135_596_800 + Double(step) * 15_776_894.813_7 + Double(step % 997) / 997)
        }
        for interval in edges {
            let date = Date(timeIntervalSince1970: interval)
            #expect(iso8601(date) == iso8601Foundation(date), "\(interval)")
        }
    }

    @Test("dates outside years 1583 to 9999 still format, as Foundation does")
    func outOfRange() {
        for interval in [-1e13, 1e13, 1e15, -1e15, -12_300_000_000, .infinity, .nan] {
            let date = Date(timeIntervalSince1970: interval)
            #expect(iso8601(date) == iso8601Foundation(date))
        }
    }
}
