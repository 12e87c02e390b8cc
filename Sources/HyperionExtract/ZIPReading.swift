import Foundation
import ZIPFoundation

/// Opens ZIP archives that arrive as bytes. ZIPFoundation's in-memory archives crash the process on some damaged
/// archives (a central directory pointing past the end: a range trap in `Archive.MemoryFile.readData`, found by
/// fuzzing) and leak their buffer when opening fails; its file-backed archives read through `fread`, which simply
/// comes up short. So the bytes go to a private temporary file first, removed when `body` returns.
enum ZIPReading {
    static func withArchive<T>(_ data: Data, _ body: (Archive) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-zip-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        defer { try? FileManager.default.removeItem(at: url) }
        let archive = try Archive(url: url, accessMode: .read)
        return try body(archive)
    }
}
