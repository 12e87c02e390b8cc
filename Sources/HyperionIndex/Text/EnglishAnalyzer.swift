/// Turns English text into index terms: lower-case, split into word tokens, drop stop words,
/// stem with ``EnglishStemmer``.
///
/// Tokens are what Python's `re.findall(r"(?u)\b\w\w+\b", text.lower())` yields: maximal runs
/// of at least two word characters, where a word character is what Python's `\w` accepts —
/// a letter (Unicode categories Lu, Ll, Lt, Lm, Lo), a number (Nd, Nl, No) or `_`. Like Python
/// (and unlike the UTS #18 definition) combining marks are not word characters, so decomposed
/// "nai\u{308}ve" splits where Python splits it. Lower-casing is Python's `str.lower()`: full
/// Unicode mappings (İ → i + U+0307) and the final-sigma rule.
public struct EnglishAnalyzer: Sendable {
    /// Lucene's English stop set (`EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`), 33 words.
    public static let defaultStopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
        "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
        "they", "this", "to", "was", "will", "with",
    ]

    /// Lower-cased tokens dropped before stemming.
    public let stopWords: Set<String>
    /// Whether terms are stemmed; when false, terms are the lower-cased tokens.
    public let stemming: Bool
    /// The non-ASCII stop words as UTF-8, matched byte for byte like Python's `in` (a
    /// `Set<String>` would also match canonically equivalent spellings).
    private let nonASCIIStopWords: Set<[UInt8]>
    private let stemmer = EnglishStemmer()

    /// - Parameters:
    ///   - stopWords: lower-cased tokens to drop (matched before stemming).
    ///   - stem: stem the remaining tokens with the Snowball English stemmer.
    public init(stopWords: Set<String> = EnglishAnalyzer.defaultStopWords, stem: Bool = true) {
        self.stopWords = stopWords
        self.stemming = stem
        self.nonASCIIStopWords = Set(stopWords.lazy.filter { !$0.utf8.allSatisfy { $0 < 0x80 } }.map { Array($0.utf8) })
    }

    /// The terms of `text`, in order, repeats included.
    public func terms(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { terms(utf8: $0) }
    }

    private func terms(utf8 bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        var collector = TermCollector(analyzer: self, capacity: bytes.count / 6)
        let count = bytes.count
        var i = 0
        while i < count {
            let byte = bytes[i]
            if byte < 0x80 {
                collector.feedASCII(byte)
                i += 1
                continue
            }
            let (value, length) = UTF8Decoding.scalar(bytes, at: i)
            if value == 0x3A3 {
                // Σ lowers to final ς or medial σ depending on its neighbours, as in str.lower().
                collector.feed(Self.isFinalSigma(bytes, at: i) ? 0x3C2 : 0x3C3)
            } else if value < 0x100 {
                // Latin-1: À–Þ (but ×) lower by +0x20; nothing else in the block changes.
                collector.feed(value >= 0xC0 && value <= 0xDE && value != 0xD7 ? value + 0x20 : value)
            } else {
                let properties = Unicode.Scalar(value)!.properties
                if properties.changesWhenLowercased {
                    for lowered in properties.lowercaseMapping.unicodeScalars { collector.feed(lowered.value) }
                } else {
                    collector.feed(value)
                }
            }
            i += length
        }
        collector.flush()
        return collector.out
    }

    /// Builds the current token from lower-cased scalars and turns finished tokens into terms.
    /// A struct with mutating methods rather than closures over locals, so the hot loop has no
    /// boxed captures or dynamic exclusivity checks.
    private struct TermCollector {
        let analyzer: EnglishAnalyzer
        var out: [String] = []
        // Per call, so the analyser stays a plain Sendable value: token → term, nil for a stop
        // word. Repeated words (most of any text) cost one lookup instead of a stem.
        // ASCII tokens are keyed by String (fast hashing, and exact: no other spelling of an
        // ASCII word is canonically equivalent to it). Other tokens are keyed by their bytes,
        // because String equality would merge canonically equivalent tokens (U+F908 and
        // U+9F9C) that Python keeps apart.
        var asciiCache: [String: String?] = [:]
        var otherCache: [[UInt8]: String?] = [:]
        /// The current token, lower-cased UTF-8.
        var token: [UInt8] = []
        var scalarCount = 0
        var tokenIsASCII = true

        init(analyzer: EnglishAnalyzer, capacity: Int) {
            self.analyzer = analyzer
            out.reserveCapacity(capacity)
            // Distinct words run at roughly half the tokens in an abstract-sized text; sizing
            // up front saves most rehashes (capped: long texts repeat more and grow as needed).
            asciiCache.reserveCapacity(min(capacity / 2, 4096))
            token.reserveCapacity(64)
        }

        @inline(__always)
        mutating func feedASCII(_ byte: UInt8) {
            let lowered = EnglishAnalyzer.asciiWordByte(byte)
            if lowered != 0 {
                token.append(lowered)
                scalarCount += 1
            } else if scalarCount > 0 {
                flush()
            }
        }

        /// Feeds one lower-cased scalar.
        mutating func feed(_ value: UInt32) {
            if value < 0x80 {
                // Reached through multi-scalar lowercase mappings (İ → i U+0307).
                feedASCII(UInt8(value))
                return
            }
            let scalar = Unicode.Scalar(value)!
            if EnglishAnalyzer.isWordScalar(scalar) {
                token.append(contentsOf: scalar.utf8)
                scalarCount += 1
                tokenIsASCII = false
            } else if scalarCount > 0 {
                flush()
            }
        }

        /// Ends the current token: tokens of one scalar and stop words produce no term.
        mutating func flush() {
            if scalarCount >= 2 {
                if tokenIsASCII { emitASCII() } else { emitOther() }
            }
            token.removeAll(keepingCapacity: true)
            scalarCount = 0
            tokenIsASCII = true
        }

        private mutating func emitASCII() {
            let word = String(decoding: token, as: UTF8.self)
            if let hit = asciiCache[word] {
                if let hit { out.append(hit) }
                return
            }
            let term: String?
            if analyzer.stopWords.contains(word) {
                term = nil
            } else if analyzer.stemming {
                term = token.withUnsafeBufferPointer { analyzer.stemmer.stem(utf8: $0, isASCII: true) }
            } else {
                term = word
            }
            asciiCache[word] = term
            if let term { out.append(term) }
        }

        private mutating func emitOther() {
            if let hit = otherCache[token] {
                if let hit { out.append(hit) }
                return
            }
            let term: String?
            if analyzer.nonASCIIStopWords.contains(token) {
                term = nil
            } else if analyzer.stemming {
                term = token.withUnsafeBufferPointer { analyzer.stemmer.stem(utf8: $0, isASCII: false) }
            } else {
                term = String(decoding: token, as: UTF8.self)
            }
            otherCache[token] = term
            if let term { out.append(term) }
        }
    }

    /// The lower-cased byte if `byte` is an ASCII word character (letter, digit, `_`), else 0.
    @inline(__always)
    static func asciiWordByte(_ byte: UInt8) -> UInt8 {
        switch byte {
        case 0x61...0x7A, 0x30...0x39, 0x5F: return byte
        case 0x41...0x5A: return byte | 0x20
        default: return 0
        }
    }

    /// Python's `\w` for a non-ASCII scalar: `str.isalnum()`, i.e. a letter or a number.
    /// (Characters with a numeric value outside the N* categories are all Lo in Unicode.)
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }

    /// Unicode's Final_Sigma condition at the Σ starting at byte `i`: a cased letter before it
    /// and none after it, skipping case-ignorable characters both ways (CPython's
    /// `handle_capital_sigma`).
    static func isFinalSigma(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        var before = i
        var casedBefore = false
        while before > 0 {
            var start = before - 1
            while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
            let properties = Unicode.Scalar(UTF8Decoding.scalar(bytes, at: start).value)!.properties
            if !properties.isCaseIgnorable {
                casedBefore = properties.isCased
                break
            }
            before = start
        }
        guard casedBefore else { return false }
        var after = i + 2 // Σ is two bytes in UTF-8
        while after < bytes.count {
            let (value, length) = UTF8Decoding.scalar(bytes, at: after)
            let properties = Unicode.Scalar(value)!.properties
            if !properties.isCaseIgnorable { return !properties.isCased }
            after += length
        }
        return true
    }
}
