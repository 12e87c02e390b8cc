import Foundation

/// The lower-case hex digit of `nibble` (0…15), as an ASCII byte.
@inline(__always)
func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}

extension Sequence<UInt8> {
    /// Lower-case hex, two digits per byte: SHA-256 digests, key ids. Written by hand:
    /// `String(format: "%02x")` per byte goes through `snprintf` once per byte.
    public var lowercaseHex: String {
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(hexDigit(byte >> 4))
            text.append(hexDigit(byte & 0x0F))
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension UUID {
    /// The canonical lower-case text form (`0e196c33-a989-4285-abd4-…`), the way ids appear in the API, the
    /// store's logs and URLs. Written byte by byte: `uuidString` formats through `snprintf` and was ~5 % of
    /// the server's CPU on `GET /auth/me`, and lower-casing it made a second string.
    public var lowercasedString: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var o = 0
                for i in 0..<16 {
                    if i == 4 || i == 6 || i == 8 || i == 10 {
                        out[o] = UInt8(ascii: "-")
                        o += 1
                    }
                    out[o] = hexDigit(bytes[i] >> 4)
                    out[o + 1] = hexDigit(bytes[i] & 0x0F)
                    o += 2
                }
                return 36
            }
        }
    }
}
