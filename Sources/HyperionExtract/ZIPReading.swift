import Foundation
import ZIPFoundation

/// Opens ZIP archives that arrive as bytes. ZIPFoundation's in-memory archives crash the process on some damaged
/// archives (a central directory pointing past the end: a range trap in `Archive.MemoryFile.readData`, found by
/// fuzzing) and leak their buffer when opening fails; its file-backed archives read through `fread`, which simply
/// comes up short. So the bytes go to a private temporary file first, removed when `body` returns.
///
/// Before that, every entry's data must lie inside the bytes (`entriesFit`): ZIPFoundation trusts the central
/// directory's sizes, and an entry claiming more compressed bytes than the file holds made its reading loop spin
/// forever on `fread`'s empty answers (found by fuzzing: a hostile DOCX would have held a worker for good).
enum ZIPReading {
    /// Thrown when an entry's data would run past the end of the archive (or the archive needs ZIP64).
    struct Damaged: Error {}

    static func withArchive<T>(_ data: Data, _ body: (Archive) throws -> T) throws -> T {
        guard entriesFit(data) else { throw Damaged() }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-zip-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        defer { try? FileManager.default.removeItem(at: url) }
        let archive = try Archive(url: url, accessMode: .read)
        return try body(archive)
    }

    /// Whether the end-of-central-directory record and every central directory entry's local header and data
    /// lie within `data` (ZIP64 archives, which Word does not write, are refused).
    static func entriesFit(_ data: Data) -> Bool {
        data.withUnsafeBytes { entriesFit(in: $0) }
    }

    private static func entriesFit(in bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard count >= 22 else { return false }
        // The end record is in the last 22 + 65,535 bytes (its comment is at most that long).
        var eocd = count - 22
        let lowest = max(0, count - 22 - 65_535)
        while eocd >= lowest, u32(eocd) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= lowest else { return false }
        let entries = u16(eocd + 10), directorySize = u32(eocd + 12), directoryOffset = u32(eocd + 16)
        guard entries != 0xFFFF, directoryOffset != 0xFFFF_FFFF, directoryOffset + directorySize <= eocd else { return false }
        var record = directoryOffset
        for _ in 0..<entries {
            guard record + 46 <= eocd, u32(record) == 0x0201_4B50 else { return false }
            let compressed = u32(record + 20), localOffset = u32(record + 42)
            guard compressed != 0xFFFF_FFFF, localOffset != 0xFFFF_FFFF, localOffset + 30 <= count,
                  u32(localOffset) == 0x0403_4B50 else { return false }
            let dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
            guard dataStart + compressed <= count else { return false }
            record += 46 + u16(record + 28) + u16(record + 30) + u16(record + 32)
        }
        return true
    }
}
