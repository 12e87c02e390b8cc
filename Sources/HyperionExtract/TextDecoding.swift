import Foundation

/// Turns the bytes of a text-like file (plain text, Markdown, HTML) into a `String`, refusing what is not text.
///
/// Accepted: UTF-8 with or without a byte-order mark (the mark is dropped), and UTF-16 or UTF-32 in either
/// byte order when a byte-order mark says so. Line breaks come back as `\n` only. Everything else is refused with
/// a message that says what the bytes looked like, because a wrong guess at an encoding silently indexes garbage.
enum TextDecoding {
    /// Decodes `data` as text.
    ///
    /// - Parameter declaredHTMLCharset: when true, an HTML file that is not UTF-8 but declares a Latin-1 or
    ///   Windows-1252 charset in its first 2 KB (`<meta charset=…>`) is decoded as Windows-1252, which is what
    ///   browsers do for those labels. Old web pages saved from a browser are often like that.
    static func decode(_ data: Data, declaredHTMLCharset: Bool = false) throws -> String {
        let decoded: String = try data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            return try decode(bytes, declaredHTMLCharset: declaredHTMLCharset)
        }
        return normalizingNewlines(decoded)
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, declaredHTMLCharset: Bool) throws -> String {
        let count = bytes.count
        // UTF-32 marks first: FF FE 00 00 also starts with the UTF-16 LE mark.
        if count >= 4, bytes[0] == 0xFF, bytes[1] == 0xFE, bytes[2] == 0, bytes[3] == 0 {
            return try decodeUTF32(UnsafeBufferPointer(rebasing: bytes[4...]), bigEndian: false)
        }
        if count >= 4, bytes[0] == 0, bytes[1] == 0, bytes[2] == 0xFE, bytes[3] == 0xFF {
            return try decodeUTF32(UnsafeBufferPointer(rebasing: bytes[4...]), bigEndian: true)
        }
        if count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            return try decodeUTF8(UnsafeBufferPointer(rebasing: bytes[3...]), declaredHTMLCharset: declaredHTMLCharset)
        }
        if count >= 2, bytes[0] == 0xFF, bytes[1] == 0xFE {
            return try decodeUTF16(UnsafeBufferPointer(rebasing: bytes[2...]), bigEndian: false)
        }
        if count >= 2, bytes[0] == 0xFE, bytes[1] == 0xFF {
            return try decodeUTF16(UnsafeBufferPointer(rebasing: bytes[2...]), bigEndian: true)
        }
        if let order = utf16WithoutMark(bytes) {
            throw ExtractionError.unsupportedEncoding(
                "looks like UTF-16 (\(order)) without a byte-order mark; save it as UTF-8, or as UTF-16 with a byte-order mark")
        }
        if bytes.contains(0) { throw ExtractionError.unsupportedType("binary data") }
        return try decodeUTF8(bytes, declaredHTMLCharset: declaredHTMLCharset)
    }

    private static func decodeUTF8(_ bytes: UnsafeBufferPointer<UInt8>, declaredHTMLCharset: Bool) throws -> String {
        if let bad = firstInvalidUTF8Offset(bytes) {
            if declaredHTMLCharset, declaresWindows1252(bytes) {
                return try checkedText(decodeWindows1252(bytes))
            }
            if looksBinary(bytes) { throw ExtractionError.unsupportedType("binary data") }
            let byte = String(bytes[bad], radix: 16, uppercase: true)
            throw ExtractionError.unsupportedEncoding(
                "not valid UTF-8 and no UTF-16 byte-order mark (byte 0x\(byte) at offset \(bad)); "
                    + "convert the file to UTF-8 (Latin-1 and Windows-1252 text often looks like this)")
        }
        return try checkedText(String(decoding: bytes, as: UTF8.self))
    }

    private static func decodeUTF16(_ bytes: UnsafeBufferPointer<UInt8>, bigEndian: Bool) throws -> String {
        guard bytes.count % 2 == 0 else {
            throw ExtractionError.unsupportedEncoding("UTF-16 text with an odd number of bytes (truncated?)")
        }
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = 0
        while i < bytes.count {
            let a = UInt16(bytes[i]), b = UInt16(bytes[i + 1])
            units.append(bigEndian ? (a << 8 | b) : (b << 8 | a))
            i += 2
        }
        guard let text = String(validating: units, as: UTF16.self) else {
            throw ExtractionError.unsupportedEncoding("invalid UTF-16 \(bigEndian ? "BE" : "LE") text (unpaired surrogate)")
        }
        return try checkedText(text)
    }

    private static func decodeUTF32(_ bytes: UnsafeBufferPointer<UInt8>, bigEndian: Bool) throws -> String {
        guard bytes.count % 4 == 0 else {
            throw ExtractionError.unsupportedEncoding("UTF-32 text with a byte count that is not a multiple of 4 (truncated?)")
        }
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < bytes.count {
            let b = (0..<4).map { UInt32(bytes[i + $0]) }
            let value = bigEndian ? (b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) : (b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0])
            guard let scalar = Unicode.Scalar(value) else {
                throw ExtractionError.unsupportedEncoding("invalid UTF-32 \(bigEndian ? "BE" : "LE") text (value 0x\(String(value, radix: 16)))")
            }
            scalars.append(scalar)
            i += 4
        }
        return try checkedText(String(scalars))
    }

    /// Refuses decoded text that is mostly control characters: that is binary data that happened to decode.
    private static func checkedText(_ text: String) throws -> String {
        var controls = 0, total = 0
        for scalar in text.unicodeScalars.prefix(65_536) {
            total += 1
            switch scalar.value {
            case 0: throw ExtractionError.unsupportedType("binary data")
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B: break  // tab, line breaks, form feed, escape (ANSI colours in logs)
            case 0x01...0x1F, 0x7F: controls += 1
            default: break
            }
        }
        if total > 0, controls * 100 > total { throw ExtractionError.unsupportedType("binary data") }
        return text
    }

    /// Where the first byte that breaks UTF-8 is (overlong forms, surrogates and values past U+10FFFF included).
    static func firstInvalidUTF8Offset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return i
            }
            guard i + length <= n else { return i }
            let b1 = bytes[i + 1]
            guard b1 >= lower, b1 <= upper else { return i }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }

    /// Binary data rarely forms valid UTF-8: many invalid sequences or control bytes early on mean it is not text at all.
    private static func looksBinary(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let sample = UnsafeBufferPointer(rebasing: bytes[..<min(bytes.count, 8192)])
        var suspicious = 0
        for b in sample where (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C && b != 0x1B) || b == 0x7F {
            suspicious += 1
        }
        return suspicious * 100 > sample.count
    }

    /// ASCII text in UTF-16 has a zero in every other byte; a file like that with no mark is UTF-16 without a BOM.
    private static func utf16WithoutMark(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let n = min(bytes.count, 4096) & ~1
        guard n >= 4 else { return nil }
        var evenZeros = 0, oddZeros = 0
        for i in stride(from: 0, to: n, by: 2) {
            if bytes[i] == 0 { evenZeros += 1 }
            if bytes[i + 1] == 0 { oddZeros += 1 }
        }
        let pairs = n / 2
        if oddZeros * 10 >= pairs * 7, evenZeros * 10 <= pairs { return "little-endian" }
        if evenZeros * 10 >= pairs * 7, oddZeros * 10 <= pairs { return "big-endian" }
        return nil
    }

    /// Whether an HTML file's head declares one of the labels browsers decode as Windows-1252.
    static func declaresWindows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let head = String(decoding: bytes.prefix(2048).map { $0 < 0x80 ? $0 : 0x20 }, as: UTF8.self).lowercased()
        guard let range = head.range(of: "charset=") else { return false }
        let label = head[range.upperBound...].drop { $0 == "\"" || $0 == "'" || $0 == " " }
            .prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return ["iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252", "us-ascii", "ascii",
                "iso-8859-15", "iso_8859-1"].contains(String(label))
    }

    /// Windows-1252 is Latin-1 except for 0x80–0x9F, which hold typographic characters (€, curly quotes, dashes).
    static func decodeWindows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let high: [UInt32] = [
            0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
            0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
        ]
        var scalars = String.UnicodeScalarView()
        for b in bytes {
            let value = (0x80...0x9F).contains(b) ? high[Int(b) - 0x80] : UInt32(b)
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    /// CRLF and lone CR become LF. (A CRLF pair is one Character, so offsets would be off by one per line otherwise.)
    static func normalizingNewlines(_ text: String) -> String {
        guard text.utf8.contains(0x0D) else { return text }
        var out = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                out.append("\n")
                previousCR = true
            } else {
                if !(previousCR && scalar == "\n") { out.append(scalar) }
                previousCR = false
            }
        }
        return String(out)
    }
}
