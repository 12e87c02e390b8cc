import Foundation
@testable import HyperionCore
import Testing


func passage(_ n: Int, _ text: String, title: String = "Doc", page: Int? = nil) -> SourcePassage {
    SourcePassage(n: n, chunkID: "c\(n)", documentID: "d\(n)", title: title, page: page, text: text, score: 1 / Double(n))
}

@Suite("Citations")
struct CitationTests {
    @Test("Markers in order of first use, lists and ranges, each once; invented numbers and links ignored")
    func markers() {
        #expect(CitationMapper.markers(in: "A [2]. B [1][2]. C [3, 1]. D [7]. E [x](http://a) [2-4]", sourceCount: 4) == [2, 1, 3, 4])
        #expect(CitationMapper.markers(in: "no markers [] [ ] [0] [-1] [1.5]", sourceCount: 3).isEmpty)
        #expect(CitationMapper.markers(in: "[1", sourceCount: 3).isEmpty)
        #expect(CitationMapper.markers(in: "[[2]]", sourceCount: 3) == [2])
    }

    @Test("Citations carry the cited source and a snippet cut at a word")
    func citations() {
        let long = String(repeating: "word ", count: 100)
        let sources = [passage(1, "short text", page: 3), passage(2, long)]
        let citations = CitationMapper.citations(in: "See [2] and [1].", sources: sources)
        #expect(citations.map(\.n) == [2, 1])
        #expect(citations[1].source.page == 3 && citations[1].snippet == "short text")
        #expect(citations[0].snippet.hasSuffix("…") && citations[0].snippet.count <= 301)
    }
}

@Suite("Prompt builder")
struct PromptBuilderTests {
    @Test("Sources numbered in rank order within the token budget; the first is cut when alone too long")
    func budget() {
        let builder = PromptBuilder(counter: WordCounter(), contextTokens: 60, historyTokens: 20)
        let sources = [passage(5, String(repeating: "alpha ", count: 30), title: "A", page: 2), passage(9, String(repeating: "beta ", count: 30), title: "B")]
        let prompt = builder.build(question: "What?", sources: sources)
        #expect(prompt.sources.map(\.n) == [1])
        #expect(prompt.sources[0].chunkID == "c5")
        #expect(prompt.messages.first?.role == .system && prompt.messages.first?.content == PromptBuilder.defaultSystemPrompt)
        let user = prompt.messages.last!.content
        #expect(user.contains("[1] A (page 2)") && !user.contains("beta") && user.hasSuffix("Question: What?"))

        let huge = builder.build(question: "Q", sources: [passage(1, String(repeating: "gamma ", count: 500))])
        #expect(huge.sources.count == 1 && WordCounter().tokenCount(huge.sources[0].text) <= 48)
    }

    @Test("History: newest turns that fit, oldest first, never starting with an answer; custom system prompt")
    func history() {
        let builder = PromptBuilder(counter: WordCounter(), contextTokens: 100, historyTokens: 14)
        let history = [
            ChatMessage(role: .user, content: "first question here"),
            ChatMessage(role: .assistant, content: "first answer here"),
            ChatMessage(role: .user, content: "second question"),
            ChatMessage(role: .assistant, content: "second answer"),
        ]
        let prompt = builder.build(question: "third", sources: [], history: history, systemPrompt: "Custom.")
        #expect(prompt.messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(prompt.messages[1].content == "second question")
        #expect(prompt.messages[0].content == "Custom.")
        #expect(prompt.messages.last!.content.contains("No sources were found"))
    }
}

@Suite("Sentence splitting")
struct SentenceSplitterTests {
    @Test("Splits at sentence ends, not at abbreviations, initials or decimals")
    func split() {
        let text = "Dr. Smith et al. found it. The rate was 3.5 per cent, e.g. in mice! Was it? J. Doe agreed.\n\n- item one\n- item two"
        #expect(SentenceSplitter.split(text) == [
            "Dr. Smith et al. found it.", "The rate was 3.5 per cent, e.g. in mice!", "Was it?", "J. Doe agreed.", "item one", "item two",
        ])
    }
}

@Suite("Extractive answerer")
struct ExtractiveAnswererTests {
    let sources = [
        passage(1, "Hyperion is a server for retrieval. It stores documents in SQLite by default. The logo is blue."),
        passage(2, "Vitamin D deficiency is linked to bone loss in older adults. Sunlight helps the skin make vitamin D."),
    ]

    @Test("Quotes the sentences that answer, each with its citation, best first")
    func answers() async throws {
        let answer = try await ExtractiveAnswerer().answer(question: "What does vitamin D deficiency cause?", sources: sources)
        #expect(answer.found)
        let lines = answer.text.components(separatedBy: "\n\n").dropFirst()
        #expect(lines.first == "“Vitamin D deficiency is linked to bone loss in older adults.” [2]")
        #expect(!answer.text.contains("logo"))
        #expect(CitationMapper.markers(in: answer.text, sourceCount: 2).first == 2)
    }

    @Test("Says plainly when nothing relevant was found, and when there are no sources")
    func notFound() async throws {
        let none = try await ExtractiveAnswerer().answer(question: "Who won the football cup?", sources: sources)
        #expect(!none.found && none.text == ExtractiveAnswerer.notFound)
        let empty = try await ExtractiveAnswerer().answer(question: "Anything?", sources: [])
        #expect(!empty.found)
    }

    @Test("Quotes the sentence that answers, not a heading or a copyright line that repeats the question's words")
    func headingsAndBoilerplate() async throws {
        let handbook = [
            passage(1, "Vacation Policy\n\nCopyright 2024 ACME Corp. Vacation policy and handbook, all rights reserved.\n\nEmployees get 25 vacation days a year."),
        ]
        let answer = try await ExtractiveAnswerer(maxSentences: 1).answer(question: "What is the vacation policy?", sources: handbook)
        #expect(answer.text.contains("25 vacation days") && !answer.text.contains("Copyright") && !answer.text.contains("“Vacation Policy”"), "\(answer.text)")
        // Asked about the licence itself, the licence line is the answer.
        let licence = [passage(1, "Installation and Setup Guide\n\nThis software is licensed under the MIT license. Run make to build it.")]
        let asked = try await ExtractiveAnswerer(maxSentences: 1)
            .answer(question: "Which license covers the software?", sources: licence)
        #expect(asked.text.contains("MIT license"), "\(asked.text)")
        // A heading alone still answers when nothing else matches (better than "not found").
        let only = try await ExtractiveAnswerer().answer(question: "Where is the setup guide?", sources: licence)
        #expect(only.found)
        #expect(ExtractiveAnswerer.shape(of: "Quarterly Report 2024", questionTerms: []) < 1)
        #expect(ExtractiveAnswerer.shape(of: "Page 3 of 12", questionTerms: []) < 1)
        #expect(ExtractiveAnswerer.shape(of: "Costs rose by 4% in the second quarter.", questionTerms: []) == 1)
    }

    @Test("Deterministic, and a similarity function re-ranks the shortlist")
    func similarity() async throws {
        let first = try await ExtractiveAnswerer().answer(question: "Where are documents stored?", sources: sources)
        let second = try await ExtractiveAnswerer().answer(question: "Where are documents stored?", sources: sources)
        #expect(first == second && first.text.contains("SQLite"))
        // A similarity that prefers the sunlight sentence wins it a place despite no shared word.
        let answerer = ExtractiveAnswerer(similarity: { _, sentences in sentences.map { $0.contains("Sunlight") ? 0.95 : 0.1 } }, maxSentences: 1)
        let reranked = try await answerer.answer(question: "How is it produced?", sources: sources)
        #expect(reranked.text.contains("Sunlight") && reranked.text.hasSuffix("[2]"))
    }
}

@Suite("Scripted chat model")
struct ScriptedChatModelTests {
    @Test("Streams the scripted text word by word, reports usage and records requests")
    func scripted() async throws {
        let recorder = ScriptedChatModel.Recorder()
        let model = ScriptedChatModel(recorder: recorder) { request in "Echo: \(request.messages.last?.content ?? "")" }
        let completion = try await model.complete(ChatRequest(messages: [ChatMessage(role: .user, content: "hi there")]))
        #expect(completion.text == "Echo: hi there")
        #expect(completion.usage == TokenUsage(promptTokens: 2, completionTokens: 3))
        #expect(recorder.all.count == 1)
        let failing = ScriptedChatModel { _ in throw ProviderError(.timeout, provider: "p", message: "slow") }
        await #expect(throws: ProviderError.self) { _ = try await failing.complete(ChatRequest(messages: [])) }
    }

    @Test("Provider errors map to 502 and 504 kinds and decide retries")
    func errors() {
        #expect(ProviderError(.timeout, provider: "p", message: "m").asHyperionError.kind == .upstreamTimeout)
        #expect(ProviderError(.unreachable, provider: "p", message: "m").asHyperionError.kind == .upstream)
        #expect(ProviderError(.upstreamStatus, provider: "p", message: "m", status: 503).isRetryable)
        #expect(!ProviderError(.upstreamStatus, provider: "p", message: "m", status: 401).isRetryable)
        #expect(ProviderError(.rateLimited, provider: "p", message: "m").isRetryable)
        #expect(!ProviderError(.badResponse, provider: "p", message: "m").isRetryable)
    }
}
