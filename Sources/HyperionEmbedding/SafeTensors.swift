import Foundation

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header, then raw tensor bytes.
///
/// The whole header is validated against the file size when the file is opened, so a truncated or
/// corrupt file is an error here rather than an out-of-bounds read later.
struct SafeTensorsFile {
    /// Element types this loader converts to `Float`; other types may be present but cannot be read.
    enum DType: String, Sendable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16"

        var byteCount: Int {
            switch self {
            case .f32: return 4
            case .f16, .bf16: return 2
            }
        }
    }

    /// One tensor's place in the file.
    struct Entry: Sendable {
        var dtypeName: String
        var shape: [Int]
        /// Absolute byte range in the file.
        var range: Range<Int>
    }

    let url: URL
    let entries: [String: Entry]

    /// Largest header accepted; the format's own limit is 100 MB.
    private static let maxHeaderSize = 100_000_000

    init(url: URL) throws {
        self.url = url
        let path = url.path
        func invalid(_ reason: String) -> EmbeddingError { .invalidFile(path: path, reason: reason) }

        guard JSONFile.exists(url) else { throw EmbeddingError.missingFile(path: path) }
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw invalid("cannot be opened: \(error.localizedDescription)")
        }
        defer { try? handle.close() }

        let fileSize: Int
        do { fileSize = Int(try handle.seekToEnd()) } catch { throw invalid("cannot be read: \(error.localizedDescription)") }
        guard fileSize >= 8 else { throw invalid("truncated: \(fileSize) bytes, shorter than the 8-byte header length") }

        try? handle.seek(toOffset: 0)
        let lengthBytes = (try? handle.read(upToCount: 8)) ?? Data()
        guard lengthBytes.count == 8 else { throw invalid("cannot read the header length") }
        let headerLength = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(Self.maxHeaderSize) else {
            throw invalid("header length \(headerLength) is larger than the 100 MB limit")
        }
        guard Int(headerLength) <= fileSize - 8 else {
            throw invalid("truncated: header length \(headerLength) exceeds the file size \(fileSize)")
        }
        let headerData = (try? handle.read(upToCount: Int(headerLength))) ?? Data()
        guard headerData.count == Int(headerLength) else { throw invalid("cannot read the \(headerLength)-byte header") }

        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw invalid("header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = fileSize - dataStart
        var entries: [String: Entry] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any],
                  let dtypeName = info["dtype"] as? String,
                  let shapeValues = info["shape"] as? [Any],
                  let offsetValues = info["data_offsets"] as? [Any], offsetValues.count == 2
            else { throw invalid("tensor '\(name)': malformed header entry") }
            let shape = shapeValues.compactMap { ($0 as? NSNumber)?.intValue }
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw invalid("tensor '\(name)': malformed shape")
            }
            guard let begin = (offsetValues[0] as? NSNumber)?.intValue, let end = (offsetValues[1] as? NSNumber)?.intValue,
                  begin >= 0, begin <= end
            else { throw invalid("tensor '\(name)': malformed data_offsets") }
            guard end <= dataSize else {
                throw invalid("truncated: tensor '\(name)' ends at byte \(dataStart + end) but the file has \(fileSize) bytes")
            }
            if let dtype = DType(rawValue: dtypeName) {
                var count = 1
                for dimension in shape {
                    let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                    guard !overflow else { throw invalid("tensor '\(name)': shape \(shape) is too large") }
                    count = product
                }
                let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
                guard !overflow, bytes == end - begin else {
                    throw invalid("tensor '\(name)': \(end - begin) bytes of data do not match shape \(shape) of \(dtypeName)")
                }
            }
            entries[name] = Entry(dtypeName: dtypeName, shape: shape, range: (dataStart + begin)..<(dataStart + end))
        }
        self.entries = entries
    }

    /// Reads the tensors named in `names` as `Float`, converting F16/BF16, in file order to keep reads sequential.
    func readFloats(_ names: [String]) throws -> [String: [Float]] {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw EmbeddingError.invalidFile(path: url.path, reason: "cannot be opened: \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        var result: [String: [Float]] = [:]
        let ordered = names.compactMap { name in entries[name].map { (name, $0) } }.sorted { $0.1.range.lowerBound < $1.1.range.lowerBound }
        for (name, entry) in ordered {
            result[name] = try read(entry, name: name, handle: handle)
        }
        return result
    }

    private func read(_ entry: Entry, name: String, handle: FileHandle) throws -> [Float] {
        guard let dtype = DType(rawValue: entry.dtypeName) else {
            throw EmbeddingError.unsupported(path: url.path, reason: "tensor '\(name)' has dtype \(entry.dtypeName) (F32, F16 and BF16 are supported)")
        }
        let byteCount = entry.range.count
        let data: Data
        do {
            try handle.seek(toOffset: UInt64(entry.range.lowerBound))
            data = try handle.read(upToCount: byteCount) ?? Data()
        } catch {
            throw EmbeddingError.invalidFile(path: url.path, reason: "tensor '\(name)' cannot be read: \(error.localizedDescription)")
        }
        // The file may have shrunk since the header was validated.
        guard data.count == byteCount else {
            throw EmbeddingError.invalidFile(path: url.path, reason: "truncated: tensor '\(name)' has \(data.count) of \(byteCount) bytes")
        }
        let count = byteCount / dtype.byteCount
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                switch dtype {
                case .f32:
                    for i in 0..<count {
                        buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    }
                case .f16:
                    for i in 0..<count {
                        let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                        buffer[i] = Self.halfToFloat(bits)
                    }
                case .bf16:
                    for i in 0..<count {
                        let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                        // bfloat16 is the top half of an IEEE float.
                        buffer[i] = Float(bitPattern: UInt32(bits) << 16)
                    }
                }
            }
            initialized = count
        }
    }

    /// IEEE half → float, done by hand because `Float16` is not available on every platform Swift targets.
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: value = mantissa · 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
    }
}
