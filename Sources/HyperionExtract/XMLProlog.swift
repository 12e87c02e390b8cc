import Foundation

/// Reads an XML document's prolog (declaration, comments, processing instructions, white space) the way a parser
/// does, to tell whether a DTD comes before the root element. A byte scan that stopped at the first `<` not
/// followed by `?` or `!` was fooled by a `<` inside a comment or processing instruction, and by UTF-16, where
/// every other byte is 0. Code units are read in the document's encoding (UTF-8, UTF-16 or UTF-32, either byte
/// order, from the BOM or the first `<`); only ASCII matters in a prolog, so nothing is transcoded.
enum XMLProlog {
    /// Whether a `<!DOCTYPE` precedes the root element. Unreadable prologs answer true: the caller refuses them.
    static func declaresDTD(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var reader = Reader(bytes)
            return reader.prologHasDTD()
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let width: Int
        let bigEndian: Bool
        var position: Int

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
            func starts(_ prefix: [UInt8]) -> Bool { bytes.count >= prefix.count && zip(bytes, prefix).allSatisfy { $0 == $1 } }
            switch true {
            case starts([0x00, 0x00, 0xFE, 0xFF]): (width, bigEndian, position) = (4, true, 4)
            case starts([0xFF, 0xFE, 0x00, 0x00]): (width, bigEndian, position) = (4, false, 4)
            case starts([0xFE, 0xFF]): (width, bigEndian, position) = (2, true, 2)
            case starts([0xFF, 0xFE]): (width, bigEndian, position) = (2, false, 2)
            case starts([0xEF, 0xBB, 0xBF]): (width, bigEndian, position) = (1, false, 3)
            case starts([0x00, 0x00, 0x00, 0x3C]): (width, bigEndian, position) = (4, true, 0)
            case starts([0x3C, 0x00, 0x00, 0x00]): (width, bigEndian, position) = (4, false, 0)
            case starts([0x00, 0x3C]): (width, bigEndian, position) = (2, true, 0)
            case starts([0x3C, 0x00]): (width, bigEndian, position) = (2, false, 0)
            default: (width, bigEndian, position) = (1, false, 0)
            }
        }

        /// The code unit at `position + offset` code units, or nil past the end.
        func unit(_ offset: Int = 0) -> UInt32? {
            let start = position + offset * width
            guard start + width <= bytes.count else { return nil }
            var value: UInt32 = 0
            for k in 0..<width { value |= UInt32(bytes[start + (bigEndian ? width - 1 - k : k)]) << (8 * k) }
            return value
        }

        func matches(_ text: String) -> Bool {
            text.utf8.enumerated().allSatisfy { unit($0.offset) == UInt32($0.element) }
        }

        mutating func advance(_ units: Int = 1) { position += units * width }

        /// Moves past the next `terminator`; false when the document ends first.
        mutating func skip(past terminator: String) -> Bool {
            while unit() != nil {
                if matches(terminator) {
                    advance(terminator.utf8.count)
                    return true
                }
                advance()
            }
            return false
        }

        mutating func prologHasDTD() -> Bool {
            while let u = unit() {
                switch u {
                case 0x20, 0x09, 0x0A, 0x0D: advance()
                case 0x3C:
                    if matches("<?") {
                        guard skip(past: "?>") else { return false }
                    } else if matches("<!--") {
                        guard skip(past: "-->") else { return false }
                    } else if matches("<!") {
                        return true  // <!DOCTYPE (or any other declaration, which only a DTD may hold)
                    } else {
                        return false  // the root element
                    }
                default:
                    return false  // text before the root: not well-formed, the parser reports it
                }
            }
            return false
        }
    }
}
