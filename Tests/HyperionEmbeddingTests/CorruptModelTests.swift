import Foundation
import Testing
@testable import HyperionEmbedding

/// Damaged copies of the tiny model must fail to load with an error that names the faulty file.
@Suite("Model folder validation")
struct CorruptModelTests {
    /// Loads `folder` expecting an `EmbeddingError` whose path ends with `file`; returns its message.
    @discardableResult
    func expectLoadError(_ folder: URL, file: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            _ = try SentenceEmbedder(modelFolder: folder)
            Issue.record("loading succeeded but should have failed on \(file)", sourceLocation: sourceLocation)
            return ""
        } catch let error as EmbeddingError {
            #expect(error.path?.hasSuffix(file) == true, "error \(error) should name \(file)", sourceLocation: sourceLocation)
            #expect(error.description.contains(file), sourceLocation: sourceLocation)
            return error.description
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
            return ""
        }
    }

    /// Rewrites the safetensors header of `folder` with `edit` applied, keeping the data bytes.
    func editHeader(_ folder: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: url)
        let length = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        var header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
        edit(&header)
        var newHeader = try JSONSerialization.data(withJSONObject: header)
        // Keep the data section at the same offset by padding the header with spaces (allowed by the format).
        #expect(newHeader.count <= length)
        newHeader.append(contentsOf: [UInt8](repeating: 0x20, count: length - newHeader.count))
        var out = Data()
        withUnsafeBytes(of: UInt64(length).littleEndian) { out.append(contentsOf: $0) }
        out.append(newHeader)
        out.append(data.subdata(in: (8 + length)..<data.count))
        try out.write(to: url)
    }

    func editJSON(_ url: URL, _ edit: (inout [String: Any]) -> Void) throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    @Test func intactCopyLoads() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let embedder = try SentenceEmbedder(modelFolder: folder)
        #expect(embedder.dimension == 32)
    }

    @Test func missingTensor() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try editHeader(folder) { $0.removeValue(forKey: "encoder.layer.1.output.dense.weight") }
        let message = expectLoadError(folder, file: "model.safetensors")
        #expect(message.contains("missing tensor"))
        #expect(message.contains("encoder.layer.1.output.dense.weight"))
    }

    @Test func tensorShapeDisagreesWithConfig() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        // Same number of elements, so only the shape check can catch it.
        try editHeader(folder) { header in
            var entry = header["encoder.layer.0.attention.self.query.weight"] as? [String: Any] ?? [:]
            entry["shape"] = [16, 64]
            header["encoder.layer.0.attention.self.query.weight"] = entry
        }
        let message = expectLoadError(folder, file: "model.safetensors")
        #expect(message.contains("shape"))
    }

    @Test func configThatDisagreesWithTensors() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try editJSON(folder.appendingPathComponent("config.json")) { $0["intermediate_size"] = 128 }
        let message = expectLoadError(folder, file: "model.safetensors")
        #expect(message.contains("intermediate.dense.weight"))
    }

    @Test func truncatedSafetensors() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let url = folder.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: url)
        for length in [data.count - 1, data.count / 2, 5_000, 100, 7, 0] {
            try data.prefix(length).write(to: url)
            let message = expectLoadError(folder, file: "model.safetensors")
            #expect(message.contains("truncated"), "\(length) bytes: \(message)")
        }
    }

    @Test func garbageSafetensorsHeader() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let url = folder.appendingPathComponent("model.safetensors")
        var bytes = Data()
        withUnsafeBytes(of: UInt64(12).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array("not json!!!!".utf8))
        try bytes.write(to: url)
        expectLoadError(folder, file: "model.safetensors")
        // A header length far beyond the file size.
        var huge = Data()
        withUnsafeBytes(of: UInt64.max.littleEndian) { huge.append(contentsOf: $0) }
        try huge.write(to: url)
        expectLoadError(folder, file: "model.safetensors")
    }

    @Test func nonBertModelType() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try editJSON(folder.appendingPathComponent("config.json")) { $0["model_type"] = "gpt2" }
        let message = expectLoadError(folder, file: "config.json")
        #expect(message.contains("gpt2"))
    }

    @Test func missingConfig() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("config.json"))
        let message = expectLoadError(folder, file: "config.json")
        #expect(message.contains("missing"))
    }

    @Test func invalidConfigJSON() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try Data("{\"hidden_size\": ".utf8).write(to: folder.appendingPathComponent("config.json"))
        expectLoadError(folder, file: "config.json")
        try JSONSerialization.data(withJSONObject: ["model_type": "bert", "hidden_size": "wide"])
            .write(to: folder.appendingPathComponent("config.json"))
        expectLoadError(folder, file: "config.json")
    }

    @Test func poolingDimensionMismatch() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try editJSON(folder.appendingPathComponent("1_Pooling/config.json")) { $0["word_embedding_dimension"] = 64 }
        expectLoadError(folder, file: "1_Pooling/config.json")
    }

    @Test func missingTokenizer() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("tokenizer.json"))
        let message = expectLoadError(folder, file: "tokenizer.json (or vocab.txt)")
        #expect(message.contains("vocab.txt"))
    }

    @Test func nonWordPieceTokenizer() throws {
        let folder = try Fixtures.tinyCopy()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try editJSON(folder.appendingPathComponent("tokenizer.json")) { json in
            var model = json["model"] as? [String: Any] ?? [:]
            model["type"] = "BPE"
            json["model"] = model
        }
        expectLoadError(folder, file: "tokenizer.json")
    }

    @Test func missingFolder() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-model-\(UUID().uuidString)")
        expectLoadError(folder, file: folder.lastPathComponent)
    }
}
