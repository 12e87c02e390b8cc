import CKernels
import Foundation

/// Reads the ZIP archives users upload (DOCX, and format sniffing) from their bytes, without ZIPFoundation, which
/// fuzzing showed unsafe on hostile archives: its in-memory archives trap on a central directory pointing past the
/// end, and on Linux its reader inflates until zlib says the stream ended, ignoring the entry's size, so a stream
/// that never ends spins forever at the end of the file. Here the central directory is parsed and checked (every
/// local header and entry's data inside the bytes; ZIP64, which Word does not write, refused), and each entry is
/// inflated from its own bytes only, with a cap on the output and on the inflation ratio.
struct ZIPReading {
    /// One entry: where its data lies and how it is stored.
    struct Entry {
        let path: String
        let method: Int
        let data: Range<Int>
        let uncompressedSize: Int
        let crc32: UInt32
    }

    /// Why an archive or entry cannot be read.
    enum Failure: Error, Equatable {
        case damaged
        case tooLarge
        case ratio
        case unsupportedMethod(Int)
        case checksum
    }

    let bytes: Data
    /// Entries in central directory order.
    let entries: [Entry]

    /// Parses the central directory; throws ``Failure/damaged`` when anything lies outside the bytes.
    init(_ data: Data) throws {
        bytes = data
        guard let entries = data.withUnsafeBytes({ Self.directory(in: $0) }) else { throw Failure.damaged }
        self.entries = entries
    }

    /// The first entry named `path`.
    subscript(path: String) -> Entry? { entries.first { $0.path == path } }

    /// Whether the archive's directory and every entry's data lie within `data`.
    static func entriesFit(_ data: Data) -> Bool { (try? ZIPReading(data)) != nil }

    /// An entry's bytes: stored ones as they are, deflated ones inflated from their own bytes, at most `limit` bytes
    /// and, past `ratioFloor` bytes, at most `maxRatio` times the compressed size.
    func read(_ entry: Entry, limit: Int, ratioFloor: Int = .max, maxRatio: Int = .max) throws -> Data {
        let raw = bytes[(bytes.startIndex + entry.data.lowerBound)..<(bytes.startIndex + entry.data.upperBound)]
        let out: Data
        switch entry.method {
        case 0:
            guard raw.count <= limit else { throw Failure.tooLarge }
            out = Data(raw)
        case 8:
            var inflated: UnsafeMutablePointer<UInt8>?
            var count = 0
            let status = raw.withUnsafeBytes { input in
                hyp_inflate_raw(input.bindMemory(to: UInt8.self).baseAddress, input.count, limit, ratioFloor, maxRatio, &inflated, &count)
            }
            switch Int(status) {
            case Int(HYP_INFLATE_OK):
                out = inflated.map { Data(bytesNoCopy: $0, count: count, deallocator: .free) } ?? Data()
            case Int(HYP_INFLATE_TOO_LARGE): throw Failure.tooLarge
            case Int(HYP_INFLATE_RATIO): throw Failure.ratio
            default: throw Failure.damaged
            }
        default:
            throw Failure.unsupportedMethod(entry.method)
        }
        let crc = out.withUnsafeBytes { hyp_crc32($0.bindMemory(to: UInt8.self).baseAddress, $0.count) }
        guard crc == entry.crc32 else { throw Failure.checksum }
        return out
    }

    private static func directory(in bytes: UnsafeRawBufferPointer) -> [Entry]? {
        let count = bytes.count
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard count >= 22 else { return nil }
        // The end record is in the last 22 + 65,535 bytes (its comment is at most that long).
        var eocd = count - 22
        let lowest = max(0, count - 22 - 65_535)
        while eocd >= lowest, u32(eocd) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= lowest else { return nil }
        let total = u16(eocd + 10), directorySize = u32(eocd + 12), directoryOffset = u32(eocd + 16)
        guard total != 0xFFFF, directoryOffset != 0xFFFF_FFFF, directoryOffset + directorySize <= eocd else { return nil }
        var entries: [Entry] = []
        entries.reserveCapacity(min(total, 65_535))
        var record = directoryOffset
        for _ in 0..<total {
            guard record + 46 <= eocd, u32(record) == 0x0201_4B50 else { return nil }
            let method = u16(record + 10), crc = UInt32(u32(record + 16)), compressed = u32(record + 20), uncompressed = u32(record + 24)
            let nameLength = u16(record + 28), localOffset = u32(record + 42)
            guard compressed != 0xFFFF_FFFF, uncompressed != 0xFFFF_FFFF, localOffset != 0xFFFF_FFFF,
                  record + 46 + nameLength <= eocd, localOffset + 30 <= count, u32(localOffset) == 0x0403_4B50 else { return nil }
            let dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
            guard dataStart + compressed <= count else { return nil }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(record + 46)..<(record + 46 + nameLength)]), as: UTF8.self)
            entries.append(Entry(path: name, method: method, data: dataStart..<(dataStart + compressed), uncompressedSize: uncompressed, crc32: crc))
            record += 46 + nameLength + u16(record + 30) + u16(record + 32)
        }
        return entries
    }
}
