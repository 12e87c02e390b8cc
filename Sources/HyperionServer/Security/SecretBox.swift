import Configuration
import Crypto
import Foundation
import HyperionCore

/// Encrypts small secrets kept in the database (the API keys of LLM connections added at run time) with AES-256-GCM
/// under the master key (`secrets.master_key`, or `secrets.master_key_file`: base64 of 32 random bytes). Keys in
/// `secrets.previous_master_keys` still decrypt, so a new master key can be introduced while old ciphertexts are
/// read; whatever is saved again is sealed with the new one.
///
/// A sealed value reads `v1.<key id>.<base64(nonce ‖ ciphertext ‖ tag)>`: the key id (the first 8 hex digits of the
/// key's SHA-256) says which key opens it. The associated data names where the value belongs (e.g.
/// `llm_provider:<id>:api_key`), so a ciphertext copied into another row does not open there.
struct SecretBox: Sendable {
    let currentID: String
    let keys: [String: SymmetricKey]

    /// Keys: `secrets.master_key`, `secrets.master_key_file`, `secrets.previous_master_keys` (secrets). Nil when no
    /// master key is configured: secrets can then not be stored.
    static func load(reader: ConfigReader) throws -> SecretBox? {
        var master = reader.string(forKey: "secrets.master_key", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        if master == nil, let path = reader.string(forKey: "secrets.master_key_file").flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw HyperionError.invalid("secrets.master_key_file", "cannot be read: \(path)")
            }
            master = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let master else { return nil }
        let previous = reader.stringList("secrets.previous_master_keys")
        return try SecretBox(master: try key(master, field: "secrets.master_key"), previous: try previous.map { try key($0, field: "secrets.previous_master_keys") })
    }

    static func key(_ base64: String, field: String) throws -> SymmetricKey {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespaces)), data.count == 32 else {
            throw HyperionError.invalid(field, "must be base64 of 32 random bytes (e.g. openssl rand -base64 32)")
        }
        return SymmetricKey(data: data)
    }

    static func id(of key: SymmetricKey) -> String {
        let digest = key.withUnsafeBytes { SHA256.hash(data: Data($0)) }
        return digest.prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    init(master: SymmetricKey, previous: [SymmetricKey] = []) throws {
        currentID = Self.id(of: master)
        var keys: [String: SymmetricKey] = [:]
        for key in previous { keys[Self.id(of: key)] = key }
        keys[currentID] = master
        self.keys = keys
    }

    /// `plaintext` sealed under the current master key for `context`.
    func seal(_ plaintext: String, context: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: keys[currentID]!, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw HyperionError(.unavailable, code: "encryption_failed", message: "a secret could not be encrypted") }
        return "v1.\(currentID).\(combined.base64EncodedString())"
    }

    /// The plaintext of a value sealed for `context`; throws naming what failed (unknown key, wrong place, damage).
    func open(_ sealed: String, context: String) throws -> String {
        let parts = sealed.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "v1", let data = Data(base64Encoded: parts[2]) else {
            throw HyperionError(.unavailable, code: "secret_unreadable", message: "\(context): the stored secret is not in a known format")
        }
        guard let key = keys[parts[1]] else {
            throw HyperionError(.unavailable, code: "secret_key_missing",
                                message: "\(context): sealed with master key \(parts[1]), which is neither secrets.master_key nor in secrets.previous_master_keys")
        }
        do {
            let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: key, authenticating: Data(context.utf8))
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw HyperionError(.unavailable, code: "secret_unreadable", message: "\(context): the stored secret does not decrypt (damaged, or moved from elsewhere)")
        }
    }
}
