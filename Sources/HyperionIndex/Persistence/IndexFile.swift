import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an index file could not be used. The caller rebuilds the index from the store.
public enum IndexFileError: Error, Equatable, CustomStringConvertible {
    /// There is no file.
    case missing(String)
    /// The file is torn, truncated, of another format or fails its checksum.
    case corrupt(String)

    public var description: String {
        switch self {
        case .missing(let path): "index file \(path) does not exist"
        case .corrupt(let reason): "index file is corrupt: \(reason)"
        }
    }
}

/// Index files: `magic | payload | checksum(payload)`, written to a temporary file, synced and renamed
/// over the old one, so a crash leaves either the old or the new file, never a mix.
enum IndexFile {
    static func write(_ payload: Data, magic: String, to url: URL) throws {
        var file = Data(magic.utf8)
        file.append(payload)
        var checksum = payload.withUnsafeBytes { Checksum.of($0) }.littleEndian
        withUnsafeBytes(of: &checksum) { file.append(contentsOf: $0) }

        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0 ... .max)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path]) }
        var ok = file.withUnsafeBytes { bytes -> Bool in
            var written = 0
            while written < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
                if n <= 0 { return false }
                written += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        // Make the rename itself durable.
        let dirFD = open(directory.path, O_RDONLY)
        if dirFD >= 0 { fsync(dirFD); close(dirFD) }
    }

    static func read(magic: String, from url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else { throw IndexFileError.missing(url.path) }
        let file = try Data(contentsOf: url, options: .alwaysMapped)
        let magicBytes = Data(magic.utf8)
        guard file.count >= magicBytes.count + 8 else { throw IndexFileError.corrupt("\(url.lastPathComponent) is too short") }
        guard file.prefix(magicBytes.count) == magicBytes else { throw IndexFileError.corrupt("\(url.lastPathComponent) is not a \(magic) file") }
        let payload = file[(file.startIndex + magicBytes.count)..<(file.endIndex - 8)]
        let stored = file.suffix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard payload.withUnsafeBytes({ Checksum.of($0) }) == stored else {
            throw IndexFileError.corrupt("\(url.lastPathComponent) fails its checksum")
        }
        return payload
    }
}
