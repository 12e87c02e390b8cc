import ArgumentParser

/// The `hyperion` command: serve the API, migrate the store, show version and configuration.
@main
struct Hyperion: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hyperion",
        abstract: "Self-hosted Retrieval-Augmented Generation server.",
        subcommands: [ServeCommand.self, WorkerCommand.self, MigrateCommand.self, IndexCommand.self, UsersCommand.self, ModelsCommand.self, EmbedCommand.self, EvalCommand.self, IngestCommand.self, ConfigCommand.self, VersionCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
