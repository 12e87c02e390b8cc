import ArgumentParser
import Configuration
import HyperionServer

/// `hyperion config`: the effective configuration, secrets masked.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Print the effective configuration (secrets masked).")

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Print the reference of every key (docs/configuration.md) instead.")
    var markdown = false

    func run() async throws {
        if markdown {
            print(ConfigCatalog.markdown, terminator: "")
            return
        }
        try await reportingStartupErrors {
            let reader = try await options.reader()
            // Validate first so a bad value is reported the same way `serve` would.
            _ = try ServerSettings(reader: reader)
            for info in ConfigCatalog.all {
                let value = reader.string(forKey: ConfigKey(info.key), isSecret: info.isSecret)
                    ?? reader.int(forKey: ConfigKey(info.key)).map(String.init)
                    ?? reader.bool(forKey: ConfigKey(info.key)).map(String.init)
                let shown = value.map { info.isSecret ? "***" : $0 } ?? "\(info.defaultValue) (default)"
                print("\(info.key) = \(shown)")
            }
        }
    }
}
