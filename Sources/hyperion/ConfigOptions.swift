import ArgumentParser
import Configuration
import Foundation
import HyperionCore
import HyperionServer

/// Flags every command shares. They take precedence over the environment and the config file.
struct ConfigOptions: ParsableArguments {
    @Option(help: "Address to listen on (HYPERION_HOST).")
    var host: String?

    @Option(help: "TCP port (HYPERION_PORT).")
    var port: String?

    @Option(name: .customLong("data-dir"), help: "Data directory (HYPERION_DATA_DIR).")
    var dataDir: String?

    @Option(name: .customLong("config"), help: "JSON configuration file (HYPERION_CONFIG_FILE).")
    var configFile: String?

    /// The one reader for this process; `overrides` are keys a command's own flags set (they win like flags).
    func reader(overrides: [String: String] = [:]) async throws -> ConfigReader {
        var flags = overrides
        flags["host"] = host
        flags["port"] = port
        flags["data_dir"] = dataDir
        do {
            return try await HyperionConfig.reader(flags: flags, configFile: configFile)
        } catch {
            throw HyperionError.invalid("config_file", "cannot be read: \(error)")
        }
    }
}

/// Prints a start-up failure in one clear line and exits non-zero instead of a stack trace.
func reportingStartupErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as HyperionError {
        FileHandle.standardError.write(Data("hyperion: error: \(error.message)\n".utf8))
        throw ExitCode(error.kind == .validation ? 2 : 1)
    }
}
