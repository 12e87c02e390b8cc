import Configuration
import Foundation
import HyperionCore
import HyperionServer
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    func error(_ values: [String: String]) -> HyperionError? {
        do {
            _ = try ServerSettings(reader: testReader(values))
            return nil
        } catch {
            return error as? HyperionError
        }
    }

    @Test("bad values stop start-up naming the key", arguments: [
        ("port", "abc"), ("port", "70000"), ("log.level", "loud"), ("log.format", "xml"), ("log.access", "maybe"),
        ("http.max_body_size", "-5"), ("http.cors.allowed_origins", "ftp://x"), ("database.url", "mysql://db"),
        ("database.pool_size", "0"), ("shutdown.grace_period", "soon"), ("host", " "),
    ])
    func badValues(key: String, value: String) {
        let error = error([key: value])
        #expect(error?.kind == .validation)
        #expect(error?.field == key)
        #expect(error?.message.hasPrefix(key) == true)
    }

    @Test("defaults are the embedded ones")
    func defaults() throws {
        let settings = try ServerSettings(reader: ConfigReader(provider: InMemoryProvider(values: [:])))
        #expect(settings.host == "127.0.0.1" && settings.port == 8080)
        #expect(settings.dataDirectory.path.hasSuffix("/data"))
        #expect(settings.logLevel == .info && settings.corsAllowedOrigins.isEmpty && settings.metricsToken == nil)
        #expect(settings.store.dialect == .sqlite)
    }

    @Test("flags win over the environment, which wins over the config file")
    func precedence() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-\(UUID().uuidString).json")
        try Data(#"{"port": 7001, "host": "0.0.0.0", "log": {"level": "debug"}, "data_dir": "/from/file"}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let reader = try await HyperionConfig.reader(
            flags: ["port": "7003"],
            environment: ["HYPERION_PORT": "7002", "HYPERION_HOST": "10.0.0.1", "HYPERION_DATA_DIR": "/from/env", "PORT": "1"],
            configFile: file.path
        )
        let settings = try ServerSettings(reader: reader)
        #expect(settings.port == 7003)
        #expect(settings.host == "10.0.0.1")
        #expect(settings.dataDirectory.path == "/from/env")
        #expect(settings.logLevel == .debug)
    }

    @Test("HYPERION_CONFIG_FILE names the file when no flag does")
    func configFileFromEnvironment() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-\(UUID().uuidString).json")
        try Data(#"{"port": 9009}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let reader = try await HyperionConfig.reader(environment: ["HYPERION_CONFIG_FILE": file.path])
        #expect(try ServerSettings(reader: reader).port == 9009)
    }

    @Test("docs/configuration.md documents every key with its environment name")
    func documented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        for info in ConfigCatalog.all {
            #expect(text.contains("`\(info.key)`"), "docs/configuration.md lacks \(info.key)")
            #expect(text.contains(info.environmentName), "docs/configuration.md lacks \(info.environmentName)")
        }
    }
}
