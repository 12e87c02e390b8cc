import Foundation
import HyperionCore
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The certificate HTTPS serves, replaceable while the server runs: every TLS handshake asks for the current pair
/// (NIOSSL's per-connection context callback), so a renewed certificate read on SIGHUP reaches new connections while
/// open ones carry on with the one they started with.
final class TLSCertificates: Sendable {
    /// A certificate chain and its key, read from the configured files.
    struct Pair: Sendable {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey

        /// Reads and checks both files: PEM, a chain with at least one certificate, and a key that belongs to it.
        static func load(_ settings: TLSSettings) throws -> Pair {
            guard let certPath = settings.certificatePath, let keyPath = settings.keyPath else {
                throw HyperionError.invalid("tls.cert_path", "is not set")
            }
            let chain: [NIOSSLCertificate]
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certPath)
            } catch {
                throw HyperionError.invalid("tls.cert_path", "\(certPath.prefix(200)) cannot be read as a PEM certificate chain: \(error)")
            }
            guard !chain.isEmpty else { throw HyperionError.invalid("tls.cert_path", "\(certPath.prefix(200)) holds no certificate") }
            let key: NIOSSLPrivateKey
            do {
                key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            } catch {
                throw HyperionError.invalid("tls.key_path", "\(keyPath.prefix(200)) cannot be read as a PEM private key: \(error)")
            }
            let pair = Pair(chain: chain, key: key)
            // A context made from the pair refuses a key that does not match the certificate.
            do {
                _ = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: pair.certificateChain, privateKey: pair.privateKey))
            } catch {
                throw HyperionError.invalid("tls.key_path", "does not belong to the certificate of tls.cert_path: \(error)")
            }
            return pair
        }

        /// The chain and key as NIOSSL takes them.
        var certificateChain: [NIOSSLCertificateSource] { chain.map { .certificate($0) } }
        var privateKey: NIOSSLPrivateKeySource { .privateKey(key) }
    }

    let settings: TLSSettings
    private let current: Mutex<Pair>

    /// Reads the configured files (they were checked when the settings were read; read again here).
    init(settings: TLSSettings) throws {
        self.settings = settings
        current = Mutex(try Pair.load(settings))
    }

    /// The subject of the certificate served now (for logs).
    var subject: String {
        current.withLock { String(describing: $0.chain[0]) }
    }

    /// Reads the files again; a pair that does not load leaves the current one served and throws why.
    func reload() throws {
        let pair = try Pair.load(settings)
        current.withLock { $0 = pair }
    }

    /// TLS 1.2 and up with the current pair, asked for again at every handshake.
    var configuration: TLSConfiguration {
        let pair = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: pair.certificateChain, privateKey: pair.privateKey)
        configuration.minimumTLSVersion = .tlsv12
        configuration.sslContextCallback = { [self] _, promise in
            let pair = current.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.certificateChain
            override.privateKey = pair.privateKey
            promise.succeed(override)
        }
        return configuration
    }

    /// The server: plain HTTP/1.1 without `certificates`; with them HTTPS, offering HTTP/2 by ALPN beside HTTP/1.1
    /// (`tls.http2`) or HTTP/1.1 alone. A connection sending nothing for `idleTimeout` seconds is closed (0: never).
    static func serverBuilder(_ certificates: TLSCertificates?, idleTimeout: Int) throws -> HTTPServerBuilder {
        let seconds = idleTimeout > 0 ? idleTimeout : nil
        let http1 = HTTP1Channel.Configuration(idleTimeout: seconds.map { .seconds(Int64($0)) })
        guard let certificates else { return .http1(configuration: http1) }
        if certificates.settings.http2 {
            return try .http2Upgrade(tlsConfiguration: certificates.configuration,
                                     configuration: .init(idleTimeout: seconds.map { .seconds($0) }, streamConfiguration: http1))
        }
        return try .tls(.http1(configuration: http1), tlsConfiguration: certificates.configuration)
    }
}

/// Reads the certificate files again on every SIGHUP (a renewed certificate, e.g. after certbot); a pair that does
/// not load is logged and the running one kept.
struct TLSReloadService: Service {
    let certificates: TLSCertificates
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                try certificates.reload()
                logger.info("TLS certificate reloaded", metadata: ["subject": "\(certificates.subject)"])
            } catch {
                logger.error("TLS certificate not reloaded: the running one stays", metadata: ["reason": "\(error)"])
            }
        }
    }
}
