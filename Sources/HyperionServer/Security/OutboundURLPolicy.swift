import Foundation
import HyperionCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Where base URLs of LLM and embedding providers may point. A provider URL is a request the server makes for whoever
/// set it, so one aimed at a cloud's instance-metadata service (169.254.169.254 and its kin) would hand that caller
/// the machine's credentials. Link-local and metadata addresses are refused unless `outbound.allow_link_local` is
/// set; loopback and private networks stay allowed (Ollama on localhost, vLLM on the LAN).
struct OutboundURLPolicy: Sendable {
    /// Link-local ranges (every cloud's metadata service lives there) and metadata addresses outside them.
    static let blocked = try! AddressRanges(["169.254.0.0/16", "fe80::/10", "fd00:ec2::254", "100.100.100.200"])
    /// Host names that reach a metadata service without naming its address.
    static let metadataHosts: Set<String> = ["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"]

    let allowLinkLocal: Bool

    /// Refuses (naming `field`) a URL whose host is a blocked address or metadata name; names are not resolved here.
    func checkLiteral(_ url: URL, field: String) throws {
        guard !allowLinkLocal, let host = Self.host(of: url) else { return }
        if Self.metadataHosts.contains(host) || Self.blocked.contains(host) { throw Self.refusal(field, host: host, address: nil) }
    }

    /// ``checkLiteral(_:field:)``, then every address the host resolves to; a name that does not resolve passes
    /// (nothing can be reached through it either, and the provider test says so).
    func check(_ url: URL, field: String) async throws {
        try checkLiteral(url, field: field)
        guard !allowLinkLocal, let host = Self.host(of: url), IPAddress(host) == nil else { return }
        let addresses = (try? await NIOThreadPool.singleton.runIfActive { Self.resolve(host) }) ?? []
        if let address = addresses.first(where: { Self.blocked.contains($0) }) { throw Self.refusal(field, host: host, address: address) }
    }

    private static func host(of url: URL) -> String? {
        guard var host = url.host?.lowercased(), !host.isEmpty else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        return host
    }

    private static func refusal(_ field: String, host: String, address: String?) -> HyperionError {
        let target = address.map { "\(host) resolves to \($0), " } ?? "\(host) is "
        return HyperionError.invalid(field, "\(target)a link-local or cloud metadata address; set outbound.allow_link_local=true to allow it")
    }

    /// The numeric addresses `host` resolves to (blocking: run off the cooperative pool).
    static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var cursor = list
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                var text = String(cString: buffer)
                if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
                addresses.append(text)
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}
