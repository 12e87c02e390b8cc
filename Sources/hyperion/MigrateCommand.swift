import ArgumentParser
import Foundation
import HyperionServer
import HyperionStorage

/// `hyperion migrate`: applies pending migrations and exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await reportingStartupErrors {
            let settings = try ServerSettings(reader: try await options.reader())
            let logger = makeLogger(settings: settings)
            try FileManager.default.createDirectory(at: settings.dataDirectory, withIntermediateDirectories: true)
            let store = try await Store.open(settings.store, logger: logger)
            defer { Task { try? await store.close() } }
            let applied = try await Migrator(store: store, logger: logger).migrate()
            print(applied.isEmpty ? "database is up to date" : "applied migrations: \(applied.map(String.init).joined(separator: ", "))")
            try await store.close()
        }
    }
}
