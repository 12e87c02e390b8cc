import ArgumentParser
import Foundation
import HyperionServer
import HyperionStorage

/// `hyperion index migrate --to pgvector`: moves every knowledge base to another vector store without downtime.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "index", abstract: "Manage where the indexes live.",
                                                    subcommands: [Migrate.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Copy every knowledge base's live generation into a vector store (from the store: nothing is embedded again).",
            discussion: """
                Run it while the servers still answer from the old store, restart them with vector.store set to the new one, \
                then run it once more to copy what was ingested in between (each document is replaced whole, so runs repeat safely). \
                The new store's own keys (e.g. vector.pgvector.url) are read from the configuration as usual.
                """
        )

        @Option(help: "The vector store to copy into: \(VectorStoreSettings.Engine.allCases.map(\.rawValue).joined(separator: ", ")).")
        var to: String

        @OptionGroup var options: ConfigOptions

        func validate() throws {
            guard VectorStoreSettings.Engine(rawValue: to) != nil else {
                throw ValidationError("--to must be one of \(VectorStoreSettings.Engine.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            try await reportingStartupErrors {
                let settings = try ServerSettings(reader: try await options.reader(overrides: ["vector.store": to]))
                let logger = makeLogger(settings: settings)
                let store = try await Store.open(settings.store, logger: logger)
                do {
                    try await Migrator(store: store, logger: logger).migrate()
                    let embedder = try AppDependencies.makeEmbedder(settings: settings)
                    let copied = try await IndexMigration.run(settings: settings, store: store, dimension: embedder.dimension, logger: logger) { done in
                        print("\(done.name) (\(done.id.uuidString.lowercased())): \(done.documents) documents, \(done.chunks) chunks copied; "
                              + "the \(to) store holds \(done.targetCount); \(String(format: "%.1f", done.seconds)) s")
                    }
                    print("\(copied.count) knowledge bases copied into \(to)")
                    try await store.close()
                } catch {
                    try? await store.close()
                    throw error
                }
            }
        }
    }
}
