import HummingbirdBcrypt
import NIOConcurrencyHelpers
import NIOPosix

/// bcrypt on NIO's blocking thread pool, so a burst of logins never stalls the event loops.
public struct PasswordHasher: Sendable {
    /// bcrypt cost factor.
    public let cost: Int
    /// A hash of a random password: verifying against it when the user does not exist makes an unknown
    /// email take as long as a wrong password. Made on first use so start-up stays fast.
    private let dummy = NIOLockedValueBox<String?>(nil)

    /// Creates a hasher.
    public init(cost: Int) {
        self.cost = cost
    }

    /// Hashes a password.
    public func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Checks a password against a hash (a dummy hash of the same cost when `hash` is nil).
    public func verify(_ password: String, hash: String?) async throws -> Bool {
        let target: String
        if let hash {
            target = hash
        } else if let existing = dummy.withLockedValue({ $0 }) {
            target = existing
        } else {
            let made = try await self.hash("dummy-\(UInt64.random(in: 0...UInt64.max))")
            target = dummy.withLockedValue { value in
                if value == nil { value = made }
                return value!
            }
        }
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: target) }
        return hash != nil && matches
    }
}
