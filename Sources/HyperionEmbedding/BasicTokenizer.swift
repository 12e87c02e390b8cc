import Foundation

/// BERT's text clean-up and word splitting, as HF's `BertNormalizer` + `BertPreTokenizer` do it.
///
/// Everything works on Unicode scalars (code points), never on Swift `Character`s: HF counts and
/// compares code points, and a grapheme cluster could glue an accent or a joiner onto a word.
struct BasicTokenizer: Sendable {
    /// Remove control characters and normalise whitespace to spaces.
    var cleanText = true
    /// Put spaces around CJK ideographs so that each becomes a word.
    var handleChineseChars = true
    /// NFD-decompose and drop non-spacing marks (Mn).
    var stripAccents = true
    /// Lower-case every code point.
    var lowercase = true

    /// Applies the normaliser to `text`, returning code points.
    func normalize<S: Sequence>(_ text: S) -> [Unicode.Scalar] where S.Element == Unicode.Scalar {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.underestimatedCount + 8)
        for scalar in text {
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
                if Self.isWhitespace(scalar) { out.append(" "); continue }
            }
            if handleChineseChars && Self.isChineseChar(scalar) {
                out.append(" ")
                out.append(scalar)
                out.append(" ")
            } else {
                out.append(scalar)
            }
        }
        // HF's order: strip accents, then lower-case.
        if stripAccents {
            var text = String.UnicodeScalarView()
            text.append(contentsOf: out)
            let decomposed = String(text).decomposedStringWithCanonicalMapping
            out.removeAll(keepingCapacity: true)
            for scalar in decomposed.unicodeScalars where scalar.properties.generalCategory != .nonspacingMark {
                out.append(scalar)
            }
        }
        if lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(out.count)
            for scalar in out {
                // Fast path for ASCII; the mapping of other scalars can be several code points (İ → i̇).
                if scalar.isASCII {
                    let v = scalar.value
                    lowered.append((v >= 65 && v <= 90) ? Unicode.Scalar(UInt8(v + 32)) : scalar)
                } else if scalar.properties.changesWhenLowercased {
                    lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                } else {
                    lowered.append(scalar)
                }
            }
            out = lowered
        }
        return out
    }

    /// Splits normalised text into words: on whitespace (removed) and around each punctuation code point (kept alone).
    func split(_ text: [Unicode.Scalar], into words: inout [ArraySlice<Unicode.Scalar>]) {
        var start = 0
        var i = 0
        while i < text.count {
            let scalar = text[i]
            if Self.isWhitespace(scalar) {
                if start < i { words.append(text[start..<i]) }
                start = i + 1
            } else if Self.isPunctuation(scalar) {
                if start < i { words.append(text[start..<i]) }
                words.append(text[i...i])
                start = i + 1
            }
            i += 1
        }
        if start < text.count { words.append(text[start..<text.count]) }
    }

    // MARK: Character classes (as HF's tokenizers crate defines them)

    /// `\t`, `\n`, `\r` or a Unicode `White_Space` code point.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0x0A, 0x0D: return true
        case 0..<0x80: return false
        default: return scalar.properties.isWhitespace
        }
    }

    /// Categories Cc, Cf, Cn, Co, Cs, except the three whitespace controls.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0x20..<0x7F: return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .unassigned, .privateUse, .surrogate: return true
            default: return false
            }
        }
    }

    /// ASCII symbols 33–47, 58–64, 91–96, 123–126, or a Unicode punctuation (P*) code point.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        if v < 0x80 { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks (not Hiragana, Katakana or Hangul), as in BERT.
    static func isChineseChar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
