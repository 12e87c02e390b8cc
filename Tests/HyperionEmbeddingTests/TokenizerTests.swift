import Foundation
import Testing
@testable import HyperionEmbedding

@Suite("Tokenizer behaviour")
struct TokenizerTests {
    let embedder: SentenceEmbedder
    init() throws { embedder = try SentenceEmbedder(modelFolder: Fixtures.tinyModel) }

    /// The tokenizer is linear in its input, also for the shapes that make other tokenizers slow: one huge
    /// "word", punctuation runs, combining marks, CJK. Best of three; 10× the input within 35× the time.
    @Test(arguments: ["words", "word", "punctuation", "combining", "cjk"])
    func tokenizingIsLinear(shape: String) {
        func text(_ n: Int) -> String {
            switch shape {
            case "words": String(repeating: "Tokenizers split words into pieces. ", count: n)
            case "word": String(repeating: "ab", count: n * 10)
            case "punctuation": String(repeating: "a.", count: n * 10)
            case "combining": String(repeating: "e\u{301}\u{302}\u{303} ", count: n * 5)
            default: String(repeating: "東京都 ", count: n * 5)
            }
        }
        func timed(_ n: Int) -> Duration {
            let input = text(n)
            var best = Duration.seconds(1_000)
            for _ in 0..<3 {
                let start = ContinuousClock.now
                _ = embedder.pieceCount(input)
                best = min(best, ContinuousClock.now - start)
            }
            return best
        }
        let small = timed(500), large = timed(5_000)
        #expect(large / small < 35, "\(shape): \(small) then \(large)")
    }

    @Test func emptyTextIsClsSep() {
        #expect(embedder.tokenize("") == [101, 102])
        // Only characters that the cleaner drops or that are whitespace.
        #expect(embedder.tokenize(" \t\n\u{0}\u{FFFD}\u{200B}") == [101, 102])
    }

    @Test func specialTokenTextIsMatchedVerbatim() {
        #expect(embedder.tokenize("[UNK]") == [101, 100, 102])
        #expect(embedder.tokenize("a[SEP]b") == [101, 1037, 102, 1038, 102])
        // Only the exact spelling is special.
        #expect(embedder.tokenize("[unk]") != [101, 100, 102])
    }

    @Test func longWordsBecomeUnknown() {
        let limit = String(repeating: "a", count: 100)
        #expect(embedder.tokenize(limit).contains(100) == false)
        #expect(embedder.tokenize(limit + "a") == [101, 100, 102])
        #expect(embedder.tokenize(String(repeating: "x", count: 10_000)) == [101, 100, 102])
        // The limit counts code points, not UTF-8 bytes: 100 two-byte letters are still split into pieces
        // ("α" 1155, "##α" 14608), 101 are not.
        #expect(embedder.tokenize(String(repeating: "α", count: 100)).prefix(3) == [101, 1155, 14608])
        #expect(embedder.tokenize(String(repeating: "α", count: 101)) == [101, 100, 102])
    }

    @Test func truncationKeepsFirstTokensThenSep() {
        let ids = embedder.tokenize(Array(repeating: "word", count: 500).joined(separator: " "))
        #expect(ids.count == 48)
        #expect(ids.first == 101)
        #expect(ids.last == 102)
        #expect(ids.dropFirst().dropLast().allSatisfy { $0 == 2773 })
    }

    @Test func punctuationAndCJKAreSplit() {
        // "a" 1037, "," 1010, "." 1012 in MiniLM's vocabulary.
        #expect(embedder.tokenize("a,a.") == [101, 1037, 1010, 1037, 1012, 102])
        #expect(embedder.tokenize("東東") == embedder.tokenize("東 東"))
        // ASCII symbols that Unicode does not call punctuation still split: $ + < = > ^ ` | ~
        for symbol in ["$", "+", "<", "=", ">", "^", "`", "|", "~"] {
            #expect(embedder.tokenize("a\(symbol)a").count == 5, "symbol \(symbol)")
        }
    }

    @Test func vocabularyLookupComparesCodePointsNotCanonicalEquivalence() {
        // Swift's String == treats "é" (U+00E9) and "e"+U+0301 as equal; HF does not.
        let vocab: [[UInt8]: Int] = [Array("\u{E9}".utf8): 5, Array("e".utf8): 6, Array("##\u{301}".utf8): 7]
        let wordPiece = WordPieceTokenizer(vocab: vocab, unknownID: 0, continuationPrefix: Array("##".utf8),
                                           maxInputCharsPerWord: 100)
        var composed: [Int] = []
        wordPiece.encode(ArraySlice(Array("\u{E9}".unicodeScalars)), into: &composed)
        var decomposed: [Int] = []
        wordPiece.encode(ArraySlice(Array("e\u{301}".unicodeScalars)), into: &decomposed)
        #expect(composed == [5])
        #expect(decomposed == [6, 7])
        var unknown: [Int] = []
        wordPiece.encode(ArraySlice(Array("ex".unicodeScalars)), into: &unknown)
        #expect(unknown == [0])
    }

    @Test func oddUnicodeNeverCrashes() throws {
        let odd = [
            "\u{301}", "\u{301}\u{301}\u{301}a", "a\u{200D}b", "👩‍👩‍👧‍👦", "🏳️‍🌈 flag",
            "שלום עולם", "مرحبا بالعالم", "\u{202E}reversed\u{202C}", "\u{FEFF}bom", "\u{1F}\u{7F}\u{85}",
            "\u{E000}private", "\u{10FFFF}", "\u{2028}line\u{2029}para", "İstanbul ΣΊΣΥΦΟΣ", "ﬁ ﬀ ǅ",
            "\r\n\r\n", "한국어 텍스트", "ｆｕｌｌｗｉｄｔｈ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", String(repeating: "\u{301}", count: 5_000),
            String(repeating: "ab ", count: 5_000), String(repeating: "日本", count: 3_000),
            String(repeating: "a\u{200D}", count: 10_000), "[CLS][SEP][PAD][MASK][UNK]", "[[UNK]]",
        ]
        for text in odd {
            let ids = embedder.tokenize(text)
            #expect(ids.first == 101 && ids.last == 102 && ids.count <= 48, "text \(text.prefix(20).debugDescription)")
            #expect(ids.allSatisfy { $0 >= 0 && $0 < 30522 })
        }
        let vectors = try embedder.embedBatch(odd)
        #expect(vectors.count == odd.count)
        #expect(vectors.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isFinite) })
    }
}
