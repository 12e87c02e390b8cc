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
    let trusted: AddressRanges

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
    static func client(forwardedFor header: String, trusted: AddressRanges) -> String? {
        let hops = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let client = hops.last(where: { !trusted.contains($0) }) ?? hops.first, IPAddress(client) != nil else { return nil }
        return client
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
