import ArgumentParser
import HyperionServer
import ServiceLifecycle

/// `hyperion worker`: answers generations from the LLM queue (`llm.queue = rabbitmq`) until SIGTERM/SIGINT.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Answer LLM requests from the queue (llm.queue=rabbitmq); run any number, on any machine, with the server's configuration."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await reportingStartupErrors {
            let worker = try await buildWorker(reader: try await options.reader())
            // Services stop in reverse order: the span exporter (first) outlives the worker's last spans.
            let services = (worker.tracingService.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? [])
                + [.init(service: worker)]
            var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: worker.logger)
            // Answers in hand get the grace period to finish; after it they are cut off and go back to the queue.
            configuration.maximumGracefulShutdownDuration = .seconds(worker.gracePeriod)
            try await ServiceGroup(configuration: configuration).run()
        }
    }
}
