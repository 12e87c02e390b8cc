import Foundation

/// Appends little-endian values and raw arrays to a byte buffer (index files).
struct BinaryWriter {
    private(set) var data = Data()

    init(capacity: Int = 0) { data.reserveCapacity(capacity) }

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    mutating func write(_ value: Float) { write(value.bitPattern) }

    /// Writes the array's raw memory; every supported platform is little-endian.
    mutating func writeArray<T: BitwiseCopyable>(_ values: [T]) {
        write(UInt64(values.count))
        values.withUnsafeBytes { data.append(contentsOf: $0) }
    }

    mutating func writeString(_ value: String) {
        let bytes = Array(value.utf8)
        write(UInt32(bytes.count))
        data.append(contentsOf: bytes)
    }

    mutating func writeStrings(_ values: [String]) {
        write(UInt64(values.count))
        for value in values { writeString(value) }
    }
}

/// Reads what ``BinaryWriter`` wrote; every read checks bounds, so a truncated file throws.
struct BinaryReader {
    let data: Data
    private(set) var offset: Int

    init(_ data: Data) {
        self.data = data
        self.offset = data.startIndex
    }

    var remaining: Int { data.endIndex - offset }

    private mutating func take(_ count: Int) throws -> Range<Int> {
        guard count >= 0, count <= remaining else { throw IndexFileError.corrupt("truncated at byte \(offset - data.startIndex)") }
        defer { offset += count }
        return offset..<(offset + count)
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let range = try take(MemoryLayout<T>.size)
        return T(littleEndian: data[range].withUnsafeBytes { $0.loadUnaligned(as: T.self) })
    }

    mutating func readFloat() throws -> Float { Float(bitPattern: try read(UInt32.self)) }

    mutating func readArray<T: BitwiseCopyable>(_: T.Type, maxCount: Int = .max) throws -> [T] {
        let count = try read(UInt64.self)
        let stride = MemoryLayout<T>.stride
        guard count <= UInt64(min(maxCount, remaining / max(stride, 1))) else { throw IndexFileError.corrupt("array length \(count) out of range") }
        let range = try take(Int(count) * stride)
        return [T](unsafeUninitializedCapacity: Int(count)) { buffer, initialized in
            data[range].withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            }
            initialized = Int(count)
        }
    }

    mutating func readString() throws -> String {
        let length = try read(UInt32.self)
        let range = try take(Int(length))
        guard let value = String(validating: data[range], as: UTF8.self) else { throw IndexFileError.corrupt("invalid UTF-8 string") }
        return value
    }

    mutating func readStrings() throws -> [String] {
        let count = try read(UInt64.self)
        guard count <= UInt64(remaining / 4) else { throw IndexFileError.corrupt("string count \(count) out of range") }
        var values: [String] = []
        values.reserveCapacity(Int(count))
        for _ in 0..<count { values.append(try readString()) }
        return values
    }
}
