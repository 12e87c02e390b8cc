import Foundation
import HyperionCore
import HyperionServer
import Testing

@Suite("JWT signing keys")
struct SigningKeyTests {
    func settings(_ values: [String: String] = [:]) throws -> AuthSettings {
        try AuthSettings(reader: testReader(values))
    }

    @Test("with no configured secret one is generated once, mode 0600, and reused")
    func generated() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-keys-\(UUID().uuidString)")
        let first = try SigningKeys.load(settings: try settings(), dataDirectory: dir)
        let file = dir.appendingPathComponent("secrets/jwt-signing-key")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(first.current.secret.count >= 32)
        let second = try SigningKeys.load(settings: try settings(), dataDirectory: dir)
        #expect(second.current.kid == first.current.kid)
        // A token from the first start verifies after a restart.
        let user = User(email: "a@example.com", role: .user, passwordHash: "")
        let token = try await TokenService.make(keys: first, settings: try settings()).issue(for: user).token
        #expect(await TokenService.make(keys: second, settings: try settings()).verify(token)?.userID == user.id)
        let other = try SigningKeys.load(settings: try settings(), dataDirectory: dir.appendingPathComponent("elsewhere"))
        #expect(other.current.kid != first.current.kid, "each install gets its own random key")
    }

    @Test("after rotation, tokens signed with a previous secret still verify; unknown ones do not")
    func rotation() async throws {
        let old = String(repeating: "o", count: 40)
        let new = String(repeating: "n", count: 40)
        let user = User(email: "a@example.com", role: .admin, passwordHash: "")
        let dir = URL(fileURLWithPath: "/nonexistent")
        let before = try settings(["auth.jwt_secret": old])
        let token = try await TokenService.make(keys: try SigningKeys.load(settings: before, dataDirectory: dir), settings: before).issue(for: user).token
        let rotated = try settings(["auth.jwt_secret": new, "auth.jwt_previous_secrets": old])
        #expect(await TokenService.make(keys: try SigningKeys.load(settings: rotated, dataDirectory: dir), settings: rotated).verify(token) != nil)
        let dropped = try settings(["auth.jwt_secret": new])
        #expect(await TokenService.make(keys: try SigningKeys.load(settings: dropped, dataDirectory: dir), settings: dropped).verify(token) == nil)
    }

    @Test("short secrets and a bcrypt cost below 10 are refused")
    func validation() {
        #expect(throws: HyperionError.self) { try settings(["auth.jwt_secret": "short"]) }
        #expect(throws: HyperionError.self) { try settings(["auth.bcrypt_cost": "9"]) }
    }
}
