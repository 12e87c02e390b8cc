import Crypto
import Foundation
import HyperionCore
#if canImport(Glibc)
import Glibc
#endif

/// Original uploaded files, stored once by SHA-256 under `<data_dir>/files/ab/abcdef…`.
struct BlobStore: Sendable {
    let root: URL

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).lowercaseHex
    }

    func url(_ sha256: String) -> URL {
        root.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(sha256)
    }

    /// Writes the bytes unless a file with this hash exists; new-then-rename, so a crash leaves no half file.
    /// Returns whether this call wrote the file.
    @discardableResult
    func put(_ data: Data, sha256: String) throws -> Bool {
        let target = url(sha256)
        if FileManager.default.fileExists(atPath: target.path) { return false }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(sha256).\(UUID().uuidString).tmp")
        try data.write(to: temporary)
        // rename(2) is atomic and replaces a file a concurrent upload of the same content may have put there.
        guard rename(temporary.path, target.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
        }
        return true
    }

    func get(_ sha256: String) throws -> Data {
        try Data(contentsOf: url(sha256))
    }

    func remove(_ sha256: String) {
        try? FileManager.default.removeItem(at: url(sha256))
    }
}
