import HyperionCore
import Testing

/// One token per whitespace-separated word: additive over pieces, like WordPiece.
struct WordCounter: TokenCounter {
    func tokenCount(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
}

/// One token per character: makes a single long "word" exceed any window.
struct CharacterCounter: TokenCounter {
    func tokenCount(_ text: String) -> Int { text.filter { !$0.isWhitespace }.count }
}

/// One token per non-blank character, counting every character it is asked about: the chunker's work.
final class CountingCounter: TokenCounter, @unchecked Sendable {
    private(set) var charactersCounted = 0
    func tokenCount(_ text: String) -> Int {
        charactersCounted += text.count
        return text.filter { !$0.isWhitespace }.count
    }
}

@Suite struct ChunkerTests {
    func sentence(_ i: Int, words: Int = 9) -> String {
        (0..<words).map { "w\(i)x\($0)" }.joined(separator: " ") + "."
    }

    @Test func chunksStayWithinTheWindowAndCoverEveryWord() {
        let paragraphs = (0..<12).map { p in (0..<4).map { sentence(p * 10 + $0) }.joined(separator: " ") }
        let text = paragraphs.joined(separator: "\n\n")
        let chunks = Chunker(settings: ChunkingSettings(sizeTokens: 50, overlapTokens: 10), counter: WordCounter())
            .chunks(of: ExtractedText(text: text))
        #expect(chunks.count > 5)
        #expect(chunks.allSatisfy { $0.tokenCount <= 50 && $0.tokenCount == WordCounter().tokenCount($0.text) })
        #expect(chunks.map(\.ordinal) == Array(0..<chunks.count))
        let allWords = Set(text.split(whereSeparator: \.isWhitespace))
        let covered = Set(chunks.flatMap { $0.text.split(whereSeparator: \.isWhitespace) })
        #expect(covered == allWords)
        // Offsets point at the chunk's text in the document.
        let characters = Array(text)
        for chunk in chunks {
            #expect(String(characters[chunk.startOffset..<chunk.endOffset]).trimmingCharacters(in: .whitespacesAndNewlines) == chunk.text)
        }
        // Neighbours share whole sentences (overlap), and chunks never end mid-sentence here.
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            #expect(b.startOffset < a.endOffset, "expected overlap between \(a.ordinal) and \(b.ordinal)")
            #expect(a.text.hasSuffix("."))
        }
    }

    @Test func prefersParagraphBoundaries() {
        // Two paragraphs of 30 words: a 50-token window ends at the paragraph break, not mid-paragraph.
        let p1 = (0..<3).map { sentence($0) }.joined(separator: " ")
        let p2 = (3..<6).map { sentence($0) }.joined(separator: " ")
        let chunks = Chunker(settings: ChunkingSettings(sizeTokens: 50, overlapTokens: 0), counter: WordCounter())
            .chunks(of: ExtractedText(text: p1 + "\n\n" + p2))
        #expect(chunks.map(\.text) == [p1, p2])
    }

    @Test func pagesAndHeadingsFollowTheChunkStart() {
        let page1 = "# Intro\n\n" + sentence(1)
        let page2 = sentence(2) + "\n\n" + sentence(3)
        let text = page1 + "\n\n" + page2
        let page2Start = page1.count + 2
        let document = ExtractedText(
            text: text, pages: [.init(number: 1, offset: 0), .init(number: 2, offset: page2Start)],
            sections: [.init(headingPath: ["Intro"], offset: 0), .init(headingPath: ["Intro", "Later"], offset: page2Start)]
        )
        let chunks = Chunker(settings: ChunkingSettings(sizeTokens: 16, overlapTokens: 0), counter: WordCounter()).chunks(of: document)
        #expect(chunks.count == 3)
        #expect(chunks.map(\.page) == [1, 2, 2])
        #expect(chunks[0].headingPath == ["Intro"] && chunks[2].headingPath == ["Intro", "Later"])
    }

    @Test func chunksNeverSpanAPageOrSectionStart() {
        let text = "Alpha one two.\n\nBeta three four.\n\nGamma five six."
        let second = text.range(of: "Beta")!.lowerBound.utf16Offset(in: text)
        let third = text.range(of: "Gamma")!.lowerBound.utf16Offset(in: text)
        let document = ExtractedText(text: text, pages: [.init(number: 1, offset: 0), .init(number: 2, offset: third)],
                                     sections: [.init(headingPath: ["A"], offset: 0), .init(headingPath: ["B"], offset: second)])
        let chunks = Chunker(settings: ChunkingSettings(sizeTokens: 100, overlapTokens: 10), counter: WordCounter()).chunks(of: document)
        #expect(chunks.map(\.text) == ["Alpha one two.", "Beta three four.", "Gamma five six."])
        #expect(chunks.map(\.page) == [1, 1, 2] && chunks.map(\.headingPath) == [["A"], ["B"], ["B"]])
    }

    @Test func overLongSentencesAndWordsAreCut() {
        let long = (0..<120).map { "w\($0)" }.joined(separator: " ")
        let chunks = Chunker(settings: ChunkingSettings(sizeTokens: 32, overlapTokens: 8), counter: WordCounter()).chunks(of: ExtractedText(text: long))
        #expect(chunks.allSatisfy { $0.tokenCount <= 32 })
        #expect(chunks.first!.text.hasPrefix("w0 ") && chunks.last!.text.hasSuffix("w119"))
        let blob = String(repeating: "A", count: 500)
        let pieces = Chunker(settings: ChunkingSettings(sizeTokens: 64, overlapTokens: 0), counter: CharacterCounter()).chunks(of: ExtractedText(text: blob))
        #expect(pieces.allSatisfy { $0.tokenCount <= 64 } && pieces.map(\.text).joined() == blob)
    }

    /// Hardening finding 2: `"a." * 300000` held the worker for four minutes because every cut of the one long
    /// "word" re-counted everything after it.
    @Test("cutting one huge word costs work linear in its length", arguments: [32, 256])
    func hugeWordIsLinear(size: Int) {
        func work(_ repeats: Int) -> (Int, [ChunkDraft]) {
            let counter = CountingCounter()
            let text = String(repeating: "a.", count: repeats)
            let chunks = Chunker(settings: ChunkingSettings(sizeTokens: size, overlapTokens: 0), counter: counter).chunks(of: ExtractedText(text: text))
            #expect(chunks.map(\.text).joined() == text, "nothing lost or repeated")
            #expect(chunks.allSatisfy { $0.tokenCount <= size })
            return (counter.charactersCounted, chunks)
        }
        let (small, smallChunks) = work(3_000)
        let (large, _) = work(30_000)
        #expect(smallChunks.count >= 6_000 / size)
        // Linear: ~10x. The old cut loop did ~100x here (and ~1,000x between 3k and 300k).
        #expect(Double(large) / Double(small) < 15, "counted \(small) then \(large) characters")
        #expect(large < 30_000 * 2 * 20, "a bounded number of looks per character")
    }

    /// Hardening finding 9: a file of 100,000 headings took 44 s; each chunk searched every section.
    @Test("many sections cost work linear in their number")
    func manySectionsAreLinear() {
        func document(_ sections: Int) -> ExtractedText {
            var text = ""
            var count = 0
            var starts: [ExtractedText.SectionStart] = []
            for i in 0..<sections {
                if !text.isEmpty { text += "\n\n"; count += 2 }
                starts.append(.init(headingPath: ["H\(i)"], offset: count))
                let line = "Heading \(i) words."
                text += line
                count += line.count
            }
            return ExtractedText(text: text, sections: starts)
        }
        func timed(_ sections: Int) -> Duration {
            let doc = document(sections)
            let chunker = Chunker(settings: ChunkingSettings(sizeTokens: 64, overlapTokens: 8), counter: WordCounter())
            var best = Duration.seconds(1_000)
            for _ in 0..<3 {
                let start = ContinuousClock.now
                let chunks = chunker.chunks(of: doc)
                best = min(best, ContinuousClock.now - start)
                #expect(chunks.count == sections)
                #expect(chunks.last?.headingPath == ["H\(sections - 1)"] && chunks.first?.headingPath == ["H0"])
            }
            return best
        }
        let small = timed(2_000), large = timed(20_000)
        // Linear is ~10x; the quadratic look-ups were ~100x. Generous for a busy machine.
        #expect(large / small < 35, "\(small) then \(large)")
    }

    @Test func locatorAnswersLikeALinearScan() {
        let pages = [ExtractedText.PageStart(number: 3, offset: 5), .init(number: 4, offset: 20), .init(number: 5, offset: 20), .init(number: 6, offset: 40)]
        let sections = [ExtractedText.SectionStart(headingPath: ["A"], offset: 0), .init(headingPath: ["A", "B"], offset: 30)]
        let text = ExtractedText(text: String(repeating: "x", count: 60), pages: pages, sections: sections)
        let locator = ExtractedText.Locator(text)
        for offset in -1...61 {
            #expect(locator.page(at: offset) == (pages.last { $0.offset <= offset }?.number ?? 3))
            #expect(locator.headingPath(at: offset) == (sections.last { $0.offset <= offset }?.headingPath ?? []))
        }
        #expect(ExtractedText.Locator(ExtractedText(text: "")).page(at: 3) == nil)
    }

    @Test func emptyTextHasNoChunks() {
        let chunker = Chunker(settings: .init(), counter: WordCounter())
        #expect(chunker.chunks(of: ExtractedText(text: "")).isEmpty)
        #expect(chunker.chunks(of: ExtractedText(text: " \n\n \t ")).isEmpty)
        #expect(!ExtractedText(text: "\n \n").hasText)
    }

    @Test func settingsAreValidated() throws {
        #expect(throws: HyperionError.self) { try ChunkingSettings(sizeTokens: 300, overlapTokens: 10).validate(maxTokens: 254) }
        #expect(throws: HyperionError.self) { try ChunkingSettings(sizeTokens: 100, overlapTokens: 60).validate(maxTokens: 254) }
        #expect(throws: HyperionError.self) { try ChunkingSettings(sizeTokens: 8, overlapTokens: 0).validate(maxTokens: 254) }
        try ChunkingSettings(sizeTokens: 254, overlapTokens: 127).validate(maxTokens: 254)
    }
}
