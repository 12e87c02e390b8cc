/// A fast 64-bit checksum over bytes (four multiply–rotate lanes, xxHash-style mixing).
/// It detects torn and corrupted index files; it is not a cryptographic hash.
enum Checksum {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F

    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        var acc = acc &+ input &* p2
        acc = (acc << 31) | (acc >> 33)
        return acc &* p1
    }

    static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var a: UInt64 = p1 &+ p2, b: UInt64 = p2, c: UInt64 = 0, d: UInt64 = 0 &- p1
        let n = bytes.count
        var offset = 0
        if let base = bytes.baseAddress {
            while offset + 32 <= n {
                a = round(a, base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                b = round(b, base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
                c = round(c, base.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
                d = round(d, base.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
                offset += 32
            }
        }
        var hash = ((a << 1) | (a >> 63)) &+ ((b << 7) | (b >> 57)) &+ ((c << 12) | (c >> 52)) &+ ((d << 18) | (d >> 46))
        hash = hash &+ UInt64(n)
        while offset < n {
            hash = round(hash, UInt64(bytes[offset]))
            offset += 1
        }
        hash ^= hash >> 33
        hash = hash &* p2
        hash ^= hash >> 29
        return hash
    }
}
