import Foundation
@testable import HyperionRedis
import Logging
import Testing

/// The Redis server `make test` starts (scripts/redis.sh): plain, TLS and unix-socket URLs from the environment.
/// `HYPERION_TEST_REQUIRE_REDIS=1` makes their absence a failure instead of a skip.
enum TestRedis {
    static let environment = ProcessInfo.processInfo.environment
    static var isAvailable: Bool { environment["HYPERION_TEST_REDIS_URL"] != nil || environment["HYPERION_TEST_REQUIRE_REDIS"] == "1" }

    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    /// Settings for `variable`'s URL with a prefix of their own, so tests running in parallel never share keys.
    static func settings(_ variable: String = "HYPERION_TEST_REDIS_URL", caFile: String? = nil) throws -> RedisSettings {
        guard let url = environment[variable] else {
            Issue.record("\(variable) is not set: run the suite through `make test`, which starts Redis")
            throw CancellationError()
        }
        return try RedisSettings(url: url, keyPrefix: "test-\(UUID().uuidString.prefix(8)):", caFile: caFile)
    }

    static func client(_ variable: String = "HYPERION_TEST_REDIS_URL") throws -> RedisClient {
        RedisClient(settings: try settings(variable), logger: logger)
    }
}

/// A private redis-server on a port of its own, for tests that stop and restart it (the shared one must stay up).
final class PrivateRedis: @unchecked Sendable {
    let port: Int
    let directory: URL
    private var process: Process?

    init() throws {
        let socket = try ServerSocketProbe.freePort()
        port = socket
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var url: String { "redis://127.0.0.1:\(port)/0" }

    /// Starts the server and waits until it answers.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory.path,
                             "--logfile", directory.appendingPathComponent("redis.log").path]
        try process.run()
        self.process = process
        let client = RedisClient(settings: try RedisSettings(url: url), logger: TestRedis.logger)
        defer { client.close() }
        for _ in 0..<100 {
            if (try? await client.ping()) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RedisError.unavailable("the private redis-server did not start")
    }

    /// Kills the server (SIGKILL: no goodbye to clients) and waits for it to go.
    func kill() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }
}

enum ServerSocketProbe {
    /// A port nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw RedisError.unavailable("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

import HyperionConformance

extension ConformanceCheck: CustomTestStringConvertible {
    public var testDescription: String { name }
}
