import Foundation
import HyperionCore
@testable import HyperionStorage
import Logging
import Testing

/// The backends the store suite runs on. PostgreSQL comes from `HYPERION_TEST_POSTGRES_URL`, which
/// `make test` sets after starting a real server; `HYPERION_TEST_REQUIRE_POSTGRES=1` makes its absence a failure.
enum Backend: String, CustomTestStringConvertible, CaseIterable, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    static var available: [Backend] {
        let env = ProcessInfo.processInfo.environment
        if env["HYPERION_TEST_POSTGRES_URL"] != nil || env["HYPERION_TEST_REQUIRE_POSTGRES"] == "1" { return allCases }
        return [.sqlite]
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return logger
}()

/// A fresh, empty database of `backend` for one test: a temporary SQLite file, or a new PostgreSQL
/// database created on the test server and dropped afterwards.
func withFreshStore<T>(_ backend: Backend, migrate: Bool = true, _ body: (Store, StoreConfiguration) async throws -> T) async throws -> T {
    let configuration: StoreConfiguration
    var cleanup: () async throws -> Void = {}
    switch backend {
    case .sqlite:
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-store-\(UUID().uuidString)")
        configuration = StoreConfiguration(backend: .sqlite(path: dir.appendingPathComponent("test.sqlite").path))
        cleanup = { try? FileManager.default.removeItem(at: dir) }
    case .postgres:
        guard let admin = ProcessInfo.processInfo.environment["HYPERION_TEST_POSTGRES_URL"] else {
            Issue.record("HYPERION_TEST_POSTGRES_URL is not set: run the suite through `make test`, which starts PostgreSQL")
            throw CancellationError()
        }
        let name = "hyp_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let adminStore = try await Store.open(StoreConfiguration(backend: .postgres(url: admin)), logger: testLogger)
        do {
            try await adminStore.database.raw("CREATE DATABASE \(unsafeRaw: String(name))").run()
        } catch {
            try? await adminStore.close()
            throw error
        }
        configuration = StoreConfiguration(backend: .postgres(url: admin.replacingOccurrences(of: "/postgres?", with: "/\(name)?")), poolSize: 2)
        cleanup = {
            try await adminStore.database.raw("DROP DATABASE IF EXISTS \(unsafeRaw: String(name)) WITH (FORCE)").run()
            try await adminStore.close()
        }
    }
    do {
        let store = try await Store.open(configuration, logger: testLogger)
        let result: T
        do {
            if migrate { try await Migrator(store: store, logger: testLogger).migrate() }
            result = try await body(store, configuration)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
        try await cleanup()
        return result
    } catch {
        try? await cleanup()
        throw error
    }
}
