import ArgumentParser
import Hummingbird
import HyperionServer
import Logging
import ServiceLifecycle

/// `hyperion serve`: applies migrations and serves the API until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the HTTP API (default command).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await reportingStartupErrors {
            let reader = try await options.reader()
            let settings = try ServerSettings(reader: reader)
            let app = try await buildApplication(reader: reader)
            var configuration = ServiceGroupConfiguration(
                services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger
            )
            // In-flight requests get the grace period; after it, remaining work is cancelled.
            configuration.maximumGracefulShutdownDuration = .seconds(settings.gracePeriod)
            try await ServiceGroup(configuration: configuration).run()
        }
    }
}
