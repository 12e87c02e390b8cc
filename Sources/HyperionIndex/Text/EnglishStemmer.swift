/// The Snowball English ("Porter2") stemmer, word for word as the PyPI package
/// `snowballstemmer` 3.1.1 (generated from Snowball 3.1.1's `english.sbl`).
///
/// Snowball 3 revised the 2.x algorithm (the long-published Porter2 description); this
/// follows the 3.1.1 code:
/// - R1 has six more special prefixes: `emerg`, `inter`, `later`, `organ`, `past`, `univers`
///   (besides `gener`, `commun`, `arsen`);
/// - a word ending in `past` counts as ending in a short syllable (`pasted` → `paste`);
/// - Step 2 maps `-ogist` to `-og`;
/// - `dying`/`lying`/`tying` are no longer exceptions but a Step 1b rule: a word that is one
///   non-vowel + `ying` becomes that non-vowel + `ie` (so also `vying` → `vie`);
/// - the old second exception list (`inning`, `outing`, `canning`, `herring`, `earring`,
///   `evening`, `proceed`, `exceed`, `succeed`) became guards that only stop Step 1b.
///
/// The input is expected lower-cased. Characters are Unicode scalars, as in Python strings:
/// non-ASCII letters, digits and `_` are simply non-vowels. Words shorter than 3 scalars come
/// back unchanged.
public struct EnglishStemmer: Sendable {
    /// Creates a stemmer; it has no state, so one instance can be shared freely.
    public init() {}

    /// The stem of `word` (expected lower-cased).
    public func stem(_ word: String) -> String {
        var word = word
        return word.withUTF8 { bytes in
            var isASCII = true
            for byte in bytes where byte >= 0x80 {
                isASCII = false
                break
            }
            return stem(utf8: bytes, isASCII: isASCII)
        }
    }

    /// Stems a word given as valid UTF-8; `isASCII` says no byte is ≥ 0x80 (the fast path).
    func stem(utf8 bytes: UnsafeBufferPointer<UInt8>, isASCII: Bool) -> String {
        let count = bytes.count
        if count == 0 { return "" }
        if isASCII {
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
                let p = buffer.baseAddress!
                for i in 0..<count { p[i] = bytes[i] }
                let range = Porter2<UInt8>.run(p, count)
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
            }
        }
        // Non-ASCII: positions (R1, "more than one letter before", …) count code points,
        // so decode to scalars first.
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { buffer in
            let p = buffer.baseAddress!
            let n = UTF8Decoding.decode(bytes, into: p)
            let range = Porter2<UInt32>.run(p, n)
            var result = ""
            result.unicodeScalars.reserveCapacity(range.count)
            for i in range {
                result.unicodeScalars.append(Unicode.Scalar(p[i])!)
            }
            return result
        }
    }
}

/// Minimal UTF-8 decoding for text that is already valid (it comes from a `String`).
enum UTF8Decoding {
    /// Decodes the scalar starting at `i`; returns it and its length in bytes.
    @inline(__always)
    static func scalar(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 {
            return ((b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F), 2)
        }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F), 3)
        }
        let value = (b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
            | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
        return (value, 4)
    }

    /// Decodes all of `bytes` into `out` (which must hold `bytes.count` values); returns the count.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt32>) -> Int {
        var i = 0
        var n = 0
        while i < bytes.count {
            let (value, length) = scalar(bytes, at: i)
            out[n] = value
            n += 1
            i += length
        }
        return n
    }
}

// ASCII codes used by the algorithm.
private let quote: UInt32 = 0x27
private let bigY: UInt32 = 0x59
private let littleY: UInt32 = 0x79

/// The algorithm proper, in place on a buffer of code units that are whole characters
/// (ASCII bytes or Unicode scalars). A stem is never longer than its word, so no buffer
/// ever grows. `p1`/`p2` are the starts of R1/R2; R1 holds at `i` when `i >= p1`.
struct Porter2<Unit: FixedWidthInteger & UnsignedInteger> {
    var p: UnsafeMutablePointer<Unit>
    var n: Int
    var p1 = 0
    var p2 = 0

    /// Stems the `count` characters at `p` in place; returns the stem's range in the buffer.
    static func run(_ p: UnsafeMutablePointer<Unit>, _ count: Int) -> Range<Int> {
        var w = Porter2(p: p, n: count)
        if w.exception() != nil || count < 3 { return 0..<w.n }

        // Prelude: one leading apostrophe goes (it counted towards the length test, as in 3.1.1).
        var start = 0
        if w.c(0) == quote {
            start = 1
            w.p += 1
            w.n -= 1
        }
        let foundY = w.markY()
        w.markRegions()
        w.step1a()
        w.step1b()
        w.step1c()
        w.step2()
        w.step3()
        w.step4()
        w.step5()
        if foundY {
            for i in 0..<w.n where w.c(i) == bigY { w.p[i] = Unit(truncatingIfNeeded: littleY) }
        }
        return start..<(start + w.n)
    }

    // MARK: Character tests

    @inline(__always) func c(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: p[i]) }

    /// a e i o u y. 'Y' (a y marked as consonant) and every non-ASCII scalar are non-vowels.
    @inline(__always) static func isVowel(_ c: UInt32) -> Bool {
        let d = c &- 0x61
        return d < 26 && (0x0110_4111 as UInt32) >> d & 1 != 0
    }

    @inline(__always) func isVowel(_ i: Int) -> Bool { Self.isVowel(c(i)) }

    /// Vowels plus w, x and Y: the letters that cannot end a short syllable.
    @inline(__always) static func isVowelWXY(_ c: UInt32) -> Bool {
        if c == bigY { return true }
        let d = c &- 0x61
        return d < 26 && (0x01D0_4111 as UInt32) >> d & 1 != 0
    }

    /// c d e g h k m n r t: the letters that may precede a deletable `-li`.
    @inline(__always) static func isValidLI(_ c: UInt32) -> Bool {
        let d = c &- 0x61
        return d < 26 && (0x000A_34DC as UInt32) >> d & 1 != 0
    }

    @inline(__always) func isChar(_ i: Int, _ ascii: UInt8) -> Bool { c(i) == UInt32(ascii) }

    /// The word `[0, end)` ends with `s`. Compares from the last character, where most
    /// candidates already differ.
    @inline(__always) func ends(_ s: StaticString, at end: Int) -> Bool {
        let k = s.utf8CodeUnitCount
        guard end >= k else { return false }
        let b = s.utf8Start
        var j = k - 1
        while j >= 0 {
            if c(end - k + j) != UInt32(b[j]) { return false }
            j -= 1
        }
        return true
    }

    @inline(__always) func ends(_ s: StaticString) -> Bool { ends(s, at: n) }

    @inline(__always) func starts(_ s: StaticString) -> Bool {
        n >= s.utf8CodeUnitCount && ends(s, at: s.utf8CodeUnitCount)
    }

    /// The word is exactly `s`.
    @inline(__always) func equals(_ s: StaticString) -> Bool {
        n == s.utf8CodeUnitCount && ends(s, at: n)
    }

    /// Some vowel in `[0, end)`.
    @inline(__always) func hasVowel(before end: Int) -> Bool {
        var i = end - 1
        while i >= 0 {
            if isVowel(i) { return true }
            i -= 1
        }
        return false
    }

    /// Replaces `[from, n)` with `s`.
    @inline(__always) mutating func replace(from: Int, with s: StaticString) {
        let b = s.utf8Start
        for j in 0..<s.utf8CodeUnitCount { p[from + j] = Unit(b[j]) }
        n = from + s.utf8CodeUnitCount
    }

    /// Replaces the last `length` characters with `s` if they start in R1.
    @inline(__always) mutating func replaceInR1(_ length: Int, _ s: StaticString) {
        let from = n - length
        if from >= p1 { replace(from: from, with: s) }
    }

    /// Deletes the last `length` characters if they start in R2.
    @inline(__always) mutating func deleteInR2(_ length: Int) {
        if n - length >= p2 { n -= length }
    }

    // MARK: Exceptions, prelude, regions

    /// Whole-word exceptions, checked before anything else (even the length test).
    /// true: replaced; false: an invariant word; nil: not an exception.
    mutating func exception() -> Bool? {
        guard n >= 3 && n <= 7 else { return nil }
        switch c(n - 1) {
        case 0x73: // s
            if equals("skies") { replace(from: 0, with: "sky"); return true }
            if equals("skis") { replace(from: 0, with: "ski"); return true }
            if equals("andes") || equals("atlas") || equals("bias") || equals("cosmos") || equals("news") {
                return false
            }
        case 0x79: // y
            if equals("idly") { replace(from: 0, with: "idl"); return true }
            if equals("gently") { replace(from: 0, with: "gentl"); return true }
            if equals("ugly") { replace(from: 0, with: "ugli"); return true }
            if equals("early") { replace(from: 0, with: "earli"); return true }
            if equals("only") { replace(from: 0, with: "onli"); return true }
            if equals("singly") { replace(from: 0, with: "singl"); return true }
            if equals("sky") { return false }
        case 0x65: // e
            if equals("howe") { return false }
        default:
            break
        }
        return nil
    }

    /// Marks an initial y, and every y after a vowel, as the consonant 'Y' (left to right,
    /// so in "sayyy" only the first and third y become 'Y'). Returns whether any was marked.
    mutating func markY() -> Bool {
        var found = false
        if c(0) == littleY {
            p[0] = Unit(truncatingIfNeeded: bigY)
            found = true
        }
        var i = 1
        while i < n {
            if c(i) == littleY && isVowel(i - 1) {
                p[i] = Unit(truncatingIfNeeded: bigY)
                found = true
            }
            i += 1
        }
        return found
    }

    /// R1 starts after the first non-vowel that follows a vowel (or after a special prefix);
    /// R2 is the same rule applied again from R1.
    mutating func markRegions() {
        p1 = n
        p2 = n
        var i: Int
        if starts("gener") || starts("arsen") || starts("emerg") || starts("inter") || starts("later")
            || starts("organ") {
            i = 5
        } else if starts("commun") {
            i = 6
        } else if starts("past") {
            i = 4
        } else if starts("univers") {
            i = 7
        } else {
            guard let next = afterVowelConsonant(from: 0) else { return }
            i = next
        }
        p1 = i
        guard let next = afterVowelConsonant(from: i) else { return }
        p2 = next
    }

    /// The position after the first non-vowel that follows a vowel, searching from `start`.
    @inline(__always) func afterVowelConsonant(from start: Int) -> Int? {
        var i = start
        while i < n && !isVowel(i) { i += 1 }
        if i == n { return nil }
        i += 1
        while i < n && isVowel(i) { i += 1 }
        if i == n { return nil }
        return i + 1
    }

    /// A short syllable ends at `end`: non-vowel, vowel, non-vowel other than w, x or Y;
    /// or vowel, non-vowel at the very start; or (3.1.1) the word so far ends in "past".
    func endsShortSyllable(at end: Int) -> Bool {
        if end >= 3 && !Self.isVowelWXY(c(end - 1)) && isVowel(end - 2) && !isVowel(end - 3) {
            return true
        }
        if end == 2 && !isVowel(1) && isVowel(0) { return true }
        return ends("past", at: end)
    }

    // MARK: Steps

    mutating func step1a() {
        if ends("'s'") {
            n -= 3
        } else if ends("'s") {
            n -= 2
        } else if ends("'") {
            n -= 1
        }
        if ends("sses") {
            n -= 2
        } else if ends("ied") || ends("ies") {
            // ties → tie, cries → cri: "i" only after more than one letter.
            n -= n - 3 >= 2 ? 2 : 1
        } else if ends("ss") || ends("us") {
            return
        } else if ends("s") {
            // gas, this keep their s; gaps, kiwis lose it: a vowel must come before the
            // letter just ahead of the s.
            if hasVowel(before: n - 2) { n -= 1 }
        }
    }

    mutating func step1b() {
        // Longest suffix of eedly, ingly, edly, eed, ing, ed.
        let start: Int
        if ends("eedly") {
            start = n - 5
            // eed, eedly → ee in R1, except succeed, proceed, exceed.
            if start >= p1 && !((start == 4 && (starts("succ") || starts("proc"))) || (start == 3 && starts("exc"))) {
                n = start + 2
            }
            return
        } else if ends("ingly") {
            start = n - 5
        } else if ends("edly") {
            start = n - 4
        } else if ends("eed") {
            start = n - 3
            if start >= p1 && !((start == 4 && (starts("succ") || starts("proc"))) || (start == 3 && starts("exc"))) {
                n = start + 2
            }
            return
        } else if ends("ing") {
            start = n - 3
            if start >= 1 && isChar(start - 1, 0x79) {
                // dying, lying, tying → die, lie, tie (non-vowel + y + ing, nothing more).
                if start == 2 && !isVowel(0) {
                    p[1] = Unit(0x69)
                    p[2] = Unit(0x65)
                    n = 3
                    return
                }
            } else if start == 4 && (starts("even") || starts("cann") || starts("earr") || starts("herr")) {
                return // evening, canning, earring, herring stay
            } else if start == 3 && (starts("inn") || starts("out")) {
                return // inning, outing stay
            }
        } else if ends("ed") {
            start = n - 2
        } else {
            return
        }

        guard hasVowel(before: start) else { return }
        n = start
        if ends("at") || ends("bl") || ends("iz") {
            p[n] = Unit(0x65) // e
            n += 1
            return
        }
        if n >= 2 && c(n - 1) == c(n - 2) {
            switch c(n - 1) {
            case 0x62, 0x64, 0x66, 0x67, 0x6D, 0x6E, 0x70, 0x72, 0x74: // b d f g m n p r t
                // add, egg, ebb, odd… (a/e/o + double, nothing else) keep the double.
                if n == 3 {
                    let first = c(0)
                    if first == 0x61 || first == 0x65 || first == 0x6F { return }
                }
                n -= 1
                return
            default:
                break
            }
        }
        // A short word (R1 empty, ends in a short syllable) gets its e back: hoping → hope.
        if n == p1 && endsShortSyllable(at: n) {
            p[n] = Unit(0x65)
            n += 1
        }
    }

    /// y/Y → i after a non-vowel that is not the first letter: cried → cri, by stays.
    mutating func step1c() {
        guard n >= 3 else { return }
        let last = c(n - 1)
        if (last == littleY || last == bigY) && !isVowel(n - 2) {
            p[n - 1] = Unit(0x69)
        }
    }

    mutating func step2() {
        guard n >= 2 else { return }
        switch c(n - 1) {
        case 0x69: // i
            if ends("lessli") { replaceInR1(6, "less") }
            else if ends("biliti") { replaceInR1(6, "ble") }
            else if ends("aliti") { replaceInR1(5, "al") }
            else if ends("iviti") { replaceInR1(5, "ive") }
            else if ends("fulli") { replaceInR1(5, "ful") }
            else if ends("ousli") { replaceInR1(5, "ous") }
            else if ends("entli") { replaceInR1(5, "ent") }
            else if ends("anci") { replaceInR1(4, "ance") }
            else if ends("enci") { replaceInR1(4, "ence") }
            else if ends("abli") { replaceInR1(4, "able") }
            else if ends("alli") { replaceInR1(4, "al") }
            else if ends("bli") { replaceInR1(3, "ble") }
            else if ends("ogi") {
                let from = n - 3
                if from >= p1 && from >= 1 && isChar(from - 1, 0x6C) { replace(from: from, with: "og") }
            } else if ends("li") {
                let from = n - 2
                if from >= p1 && from >= 1 && Self.isValidLI(c(from - 1)) { n = from }
            }
        case 0x6C: // l
            if ends("ational") { replaceInR1(7, "ate") }
            else if ends("tional") { replaceInR1(6, "tion") }
        case 0x6D: // m
            if ends("alism") { replaceInR1(5, "al") }
        case 0x6E: // n
            if ends("ization") { replaceInR1(7, "ize") }
            else if ends("ation") { replaceInR1(5, "ate") }
        case 0x72: // r
            if ends("izer") { replaceInR1(4, "ize") }
            else if ends("ator") { replaceInR1(4, "ate") }
        case 0x73: // s
            if ends("iveness") { replaceInR1(7, "ive") }
            else if ends("fulness") { replaceInR1(7, "ful") }
            else if ends("ousness") { replaceInR1(7, "ous") }
        case 0x74: // t
            if ends("ogist") { replaceInR1(5, "og") }
        default:
            break
        }
    }

    mutating func step3() {
        guard n >= 3 else { return }
        switch c(n - 1) {
        case 0x6C: // l
            if ends("ational") { replaceInR1(7, "ate") }
            else if ends("tional") { replaceInR1(6, "tion") }
            else if ends("ical") { replaceInR1(4, "ic") }
            else if ends("ful") { replaceInR1(3, "") }
        case 0x65: // e
            if ends("alize") { replaceInR1(5, "al") }
            else if ends("icate") { replaceInR1(5, "ic") }
            else if ends("ative") {
                // Needs R2 as well as R1 (R2 implies R1).
                deleteInR2(5)
            }
        case 0x69: // i
            if ends("iciti") { replaceInR1(5, "ic") }
        case 0x73: // s
            if ends("ness") { replaceInR1(4, "") }
        default:
            break
        }
    }

    mutating func step4() {
        guard n >= 2 else { return }
        switch c(n - 1) {
        case 0x6C: // l
            if ends("al") { deleteInR2(2) }
        case 0x65: // e
            if ends("ance") || ends("ence") || ends("able") || ends("ible") { deleteInR2(4) }
            else if ends("ate") || ends("ive") || ends("ize") { deleteInR2(3) }
        case 0x69: // i
            if ends("iti") { deleteInR2(3) }
        case 0x6D: // m
            if ends("ism") { deleteInR2(3) }
        case 0x6E: // n
            if ends("ion") {
                let from = n - 3
                if from >= p2 && from >= 1 && (isChar(from - 1, 0x73) || isChar(from - 1, 0x74)) { n = from }
            }
        case 0x63: // c
            if ends("ic") { deleteInR2(2) }
        case 0x72: // r
            if ends("er") { deleteInR2(2) }
        case 0x73: // s
            if ends("ous") { deleteInR2(3) }
        case 0x74: // t
            if ends("ement") { deleteInR2(5) }
            else if ends("ment") { deleteInR2(4) }
            else if ends("ant") || ends("ent") { deleteInR2(3) }
        default:
            break
        }
    }

    mutating func step5() {
        guard n >= 1 else { return }
        let from = n - 1
        switch c(from) {
        case 0x65: // e: in R2, or in R1 unless a short syllable precedes it.
            if from >= p2 || (from >= p1 && !endsShortSyllable(at: from)) { n = from }
        case 0x6C: // l: ll → l in R2.
            if from >= p2 && from >= 1 && isChar(from - 1, 0x6C) { n = from }
        default:
            break
        }
    }
}
