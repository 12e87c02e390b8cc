import Foundation

extension UUID {
    /// The canonical lower-case text form (`0e196c33-a989-4285-abd4-…`), the way ids appear in the API, the
    /// store's logs and URLs. Written byte by byte: `uuidString` formats through `snprintf` and was ~5 % of
    /// the server's CPU on `GET /auth/me`, and lower-casing it made a second string.
    public var lowercasedString: String {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                digits.withUTF8Buffer { hex in
                    var o = 0
                    for i in 0..<16 {
                        if i == 4 || i == 6 || i == 8 || i == 10 {
                            out[o] = UInt8(ascii: "-")
                            o += 1
                        }
                        out[o] = hex[Int(bytes[i] >> 4)]
                        out[o + 1] = hex[Int(bytes[i] & 0x0F)]
                        o += 2
                    }
                }
                return 36
            }
        }
    }
}
