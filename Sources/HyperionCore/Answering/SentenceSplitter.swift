import Foundation

/// Splits prose into sentences: at `.`, `!` or `?` followed by a space and an upper-case letter, digit
/// or quote, and at blank lines and list items; not after common abbreviations (e.g., Fig., et al.,
/// Dr.) or single initials. Good enough to quote from; not a linguistic parser.
public enum SentenceSplitter {
    static let abbreviations: Set<String> = [
        "e.g", "i.e", "etc", "vs", "fig", "figs", "al", "dr", "mr", "mrs", "ms", "prof", "no", "vol", "approx", "ca",
        "cf", "eq", "ref", "refs", "st", "jr", "sr", "inc", "ltd", "co", "corp", "dept", "u.s", "p", "pp", "sec",
    ]

    /// The sentences of `text`, trimmed, empty ones dropped.
    public static func split(_ text: String) -> [String] {
        var sentences: [String] = []
        for block in blocks(text) {
            let chars = Array(block)
            var start = 0
            var i = 0
            while i < chars.count {
                let c = chars[i]
                if c == "." || c == "!" || c == "?" {
                    var end = i + 1
                    while end < chars.count, chars[end] == "." || chars[end] == "\"" || chars[end] == "”" || chars[end] == ")" || chars[end] == "’" { end += 1 }
                    if end < chars.count, chars[end].isWhitespace {
                        var next = end
                        while next < chars.count, chars[next].isWhitespace { next += 1 }
                        let startsSentence = next < chars.count && (chars[next].isUppercase || chars[next].isNumber || "\"“‘([".contains(chars[next]))
                        if startsSentence, !(c == "." && isAbbreviation(chars, dotAt: i)) {
                            append(chars[start..<end], to: &sentences)
                            start = next
                            i = next
                            continue
                        }
                    }
                }
                i += 1
            }
            append(chars[start...], to: &sentences)
        }
        return sentences
    }

    /// Paragraphs and list items: sentence ends are never looked for across them.
    static func blocks(_ text: String) -> [String] {
        var blocks: [String] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let isItem = trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ") || trimmed.hasPrefix("• ")
            if trimmed.isEmpty || isItem {
                if !current.isEmpty { blocks.append(current) }
                current = isItem ? String(trimmed.dropFirst(2)) : ""
            } else {
                current += current.isEmpty ? trimmed : " " + trimmed
            }
        }
        if !current.isEmpty { blocks.append(current) }
        return blocks
    }

    static func isAbbreviation(_ chars: [Character], dotAt index: Int) -> Bool {
        var start = index
        while start > 0, chars[start - 1].isLetter || chars[start - 1] == "." { start -= 1 }
        let word = String(chars[start..<index]).lowercased()
        if word.count == 1, chars[start].isUppercase { return true }  // an initial: "J. Smith"
        return abbreviations.contains(word)
    }

    static func append(_ slice: ArraySlice<Character>, to sentences: inout [String]) {
        let sentence = String(slice).trimmingCharacters(in: .whitespacesAndNewlines)
        if !sentence.isEmpty { sentences.append(sentence) }
    }
}
