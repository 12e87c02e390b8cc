import Foundation
import HTTPTypes
import Hummingbird
import HyperionCore
#if canImport(Glibc)
import Glibc
#endif

/// Takes the client's address from `X-Forwarded-For` when, and only when, the connection comes from a configured
/// trusted proxy (`http.trusted_proxies`): the rightmost address in the header that is not itself a trusted
/// proxy. Without it, every client behind a reverse proxy shares the proxy's address (one login throttle, one
/// signup limit for everyone); trusting the header from anyone would let a client choose its own address.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let trusted: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let forwardedFor = request.headers[.xForwardedFor]
        let forwardedProto = request.headers[.xForwardedProto]
        guard forwardedFor != nil || forwardedProto != nil, trusted.contains(context.peerAddress) else { return try await next(request, context) }
        var context = context
        context.forwardedClientAddress = forwardedFor.flatMap { Self.client(forwardedFor: $0, trusted: trusted) }
        // The proxy terminated TLS: the browser spoke HTTPS, so cookies may be marked Secure.
        context.clientUsesHTTPS = context.clientUsesHTTPS
            || forwardedProto?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
        return try await next(request, context)
    }

    /// The rightmost hop of `header` that is not a trusted proxy (the leftmost when all are), if it is an address.
    static func client(forwardedFor header: String, trusted: TrustedProxies) -> String? {
        let hops = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let client = hops.last(where: { !trusted.contains($0) }) ?? hops.first, IPAddress(client) != nil else { return nil }
        return client
    }
}

/// A set of addresses and CIDR ranges (`10.0.0.0/8`, `::1`, `fd00::/8`).
struct TrustedProxies: Sendable {
    private let ranges: [(network: [UInt8], prefix: Int)]

    /// Parses `entries`; an entry that is neither an address nor a range throws naming `http.trusted_proxies`.
    init(_ entries: [String]) throws {
        ranges = try entries.map { entry in
            let invalid = HyperionError.invalid("http.trusted_proxies", "'\(entry)' is not an IP address or CIDR range")
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

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
