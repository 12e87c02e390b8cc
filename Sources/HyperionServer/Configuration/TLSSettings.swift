import Configuration
import Foundation
import HyperionCore

/// HTTPS served natively: `tls.cert_path` and `tls.key_path` (PEM; both or neither), `tls.http2` (HTTP/2 offered by
/// ALPN beside HTTP/1.1) and `tls.hsts_max_age` (seconds of `Strict-Transport-Security`; 0 sends none).
public struct TLSSettings: Sendable {
    /// The certificate chain (leaf first) and its private key, when TLS is on.
    public var certificatePath: String?
    public var keyPath: String?
    public var http2: Bool
    public var hstsMaxAge: Int

    /// Whether the server speaks HTTPS itself.
    public var isEnabled: Bool { certificatePath != nil }

    /// Reads the keys; a key named without the other, or a file that cannot be read as PEM, stops the start naming
    /// the key (the files are read again here and at every reload, so what is checked is what will be served).
    public init(reader: ConfigReader) throws {
        let cert = reader.string(forKey: "tls.cert_path")?.trimmingCharacters(in: .whitespaces) ?? ""
        let key = reader.string(forKey: "tls.key_path")?.trimmingCharacters(in: .whitespaces) ?? ""
        switch (cert.isEmpty, key.isEmpty) {
        case (true, true): certificatePath = nil; keyPath = nil
        case (false, true): throw HyperionError.invalid("tls.key_path", "is needed with tls.cert_path (the certificate's private key, PEM)")
        case (true, false): throw HyperionError.invalid("tls.cert_path", "is needed with tls.key_path (the certificate chain, PEM)")
        case (false, false): certificatePath = cert; keyPath = key
        }
        http2 = try Setting.tlsHTTP2.read(reader)
        hstsMaxAge = try Setting.hstsMaxAge.read(reader)
        if isEnabled { _ = try TLSCertificates.Pair.load(self) }
    }
}
