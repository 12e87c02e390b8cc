import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HyperionCore

/// HS256 signing secrets: the current one signs, all of them verify, each named by a `kid` derived
/// from its hash. With no configured secret, one is generated with a CSPRNG at first start and kept
/// in `<data_dir>/secrets/jwt-signing-key` (mode 0600). There is no default secret in the code.
public struct SigningKeys: Sendable {
    /// A secret and its key id.
    public struct Key: Sendable {
        /// Key id in the JWT header.
        public let kid: String
        /// Raw secret bytes.
        public let secret: [UInt8]
    }

    /// The key that signs new tokens.
    public let current: Key
    /// Keys accepted only for verification.
    public let previous: [Key]

    /// Loads the keys from settings or the data directory.
    public static func load(settings: AuthSettings, dataDirectory: URL) throws -> SigningKeys {
        let current: Key
        if let secret = settings.jwtSecret {
            current = key(Array(secret.utf8))
        } else {
            current = key(try generatedSecret(in: dataDirectory))
        }
        return SigningKeys(current: current, previous: settings.previousSecrets.map { key(Array($0.utf8)) })
    }

    static func key(_ secret: [UInt8]) -> Key {
        let digest = SHA256.hash(data: secret)
        return Key(kid: digest.prefix(8).lowercaseHex, secret: secret)
    }

    static func generatedSecret(in dataDirectory: URL) throws -> [UInt8] {
        let folder = dataDirectory.appendingPathComponent("secrets")
        let file = folder.appendingPathComponent("jwt-signing-key")
        if let text = try? String(contentsOf: file, encoding: .utf8),
           let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count >= 32
        {
            return [UInt8](data)
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // Write beside, restrict, then rename: the key is never readable by others, not even briefly.
        let temporary = folder.appendingPathComponent("jwt-signing-key.\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw HyperionError(.unavailable, code: "secret_unwritable", message: "cannot write \(file.path)")
        }
        try Data(Data(secret).base64EncodedString().utf8).write(to: temporary)
        guard rename(temporary.path, file.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw HyperionError(.unavailable, code: "secret_unwritable", message: "cannot write \(file.path)")
        }
        return secret
    }
}
