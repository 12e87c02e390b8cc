import Configuration
import Foundation
import SystemPackage

/// Builds Hyperion's one `ConfigReader` with the precedence
/// command-line flags > environment (`HYPERION_…`) > optional JSON config file > defaults in code.
public enum HyperionConfig {
    /// Creates the reader.
    /// - Parameters:
    ///   - flags: values given as command-line flags, by key (`port`, `data_dir`, …).
    ///   - environment: the process environment; only `HYPERION_`-prefixed names are read.
    ///   - configFile: a JSON file; when nil, `HYPERION_CONFIG_FILE` is used if set.
    public static func reader(
        flags: [String: String] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configFile: String? = nil
    ) async throws -> ConfigReader {
        var providers: [any ConfigProvider] = []
        let flagValues = Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), ConfigValue(.string($0.value), isSecret: false)) })
        providers.append(InMemoryProvider(name: "flags", values: flagValues))
        providers.append(EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "hyperion"))
        if let path = configFile ?? environment["HYPERION_CONFIG_FILE"], !path.isEmpty {
            providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
        }
        return ConfigReader(providers: providers)
    }
}
