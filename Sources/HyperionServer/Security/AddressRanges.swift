import Foundation
import HyperionCore
#if canImport(Glibc)
import Glibc
#endif

/// A set of addresses and CIDR ranges (`10.0.0.0/8`, `::1`, `fd00::/8`).
struct AddressRanges: Sendable {
    private let ranges: [(network: [UInt8], prefix: Int)]

    /// Parses `entries`; an entry that is neither an address nor a range throws naming `key`.
    init(_ entries: [String], key: String = "http.trusted_proxies") throws {
        ranges = try entries.map { entry in
            let invalid = HyperionError.invalid(key, "'\(entry)' is not an IP address or CIDR range")
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let first = parts.first, let address = IPAddress(first) else { throw invalid }
            let prefix = parts.count == 2 ? Int(parts[1]) : address.bytes.count * 8
            guard let prefix, (0...(address.bytes.count * 8)).contains(prefix) else { throw invalid }
            return (address.bytes, prefix)
        }
    }

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ text: String) -> Bool {
        guard !ranges.isEmpty, let address = IPAddress(text) else { return false }
        return ranges.contains { range in
            guard range.network.count == address.bytes.count else { return false }
            var bits = range.prefix
            for (a, b) in zip(range.network, address.bytes) {
                if bits <= 0 { return true }
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if a & mask != b & mask { return false }
                bits -= 8
            }
            return true
        }
    }
}

/// An IPv4 or IPv6 address as bytes (an IPv4-mapped IPv6 address counts as its IPv4 address).
struct IPAddress {
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let all = withUnsafeBytes(of: &v6) { Array($0) }
        bytes = all.prefix(10).allSatisfy { $0 == 0 } && all[10] == 0xFF && all[11] == 0xFF ? Array(all.suffix(4)) : all
    }
}
