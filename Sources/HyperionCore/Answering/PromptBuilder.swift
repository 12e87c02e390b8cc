/// Builds the messages sent to an LLM: system prompt, recent history and the question with the
/// numbered sources, within token budgets so the prompt fits the model's window.
public struct PromptBuilder: Sendable {
    /// The system prompt used when a RAG model sets none.
    public static let defaultSystemPrompt = """
        You are a careful assistant that answers questions using only the numbered sources provided with \
        each question. Cite every statement with the number of its source in square brackets, like [1] or \
        [2][3]. If the sources do not contain the answer, say so plainly instead of guessing. Answer in the \
        language of the question.
        """

    /// Counts tokens of prompt text (the embedding model's tokenizer is a close enough estimate).
    public var counter: any TokenCounter
    /// Tokens the sources may take together.
    public var contextTokens: Int
    /// Tokens the conversation history may take.
    public var historyTokens: Int

    /// Creates a builder.
    public init(counter: any TokenCounter, contextTokens: Int = 3000, historyTokens: Int = 1000) {
        self.counter = counter
        self.contextTokens = contextTokens
        self.historyTokens = historyTokens
    }

    /// The prompt and the sources it really contains (renumbered from 1 in rank order).
    public struct Prompt: Sendable {
        public var messages: [ChatMessage]
        public var sources: [SourcePassage]
    }

    /// Builds the prompt. Sources are taken in order until the budget is spent (the first one is cut to
    /// fit when it alone is too long); history is taken from the most recent message backwards.
    public func build(question: String, sources: [SourcePassage], history: [ChatMessage] = [], systemPrompt: String? = nil) -> Prompt {
        var used: [SourcePassage] = []
        var spent = 0
        for source in sources {
            var source = source
            let cost = counter.tokenCount(source.text) + 12
            if spent + cost > contextTokens {
                guard used.isEmpty else { break }
                source.text = truncate(source.text, toTokens: max(16, contextTokens - 12))
            }
            spent += cost
            source.n = used.count + 1
            used.append(source)
        }
        var messages = [ChatMessage(role: .system, content: systemPrompt ?? Self.defaultSystemPrompt)]
        messages += recent(history)
        messages.append(ChatMessage(role: .user, content: Self.userMessage(question: question, sources: used)))
        return Prompt(messages: messages, sources: used)
    }

    /// The question with its sources, as the user turn.
    public static func userMessage(question: String, sources: [SourcePassage]) -> String {
        guard !sources.isEmpty else {
            return "No sources were found for this question.\n\nQuestion: \(question)"
        }
        var text = "Sources:\n"
        for source in sources {
            var label = "[\(source.n)] \(source.title)"
            if let page = source.page { label += " (page \(page))" }
            if !source.headingPath.isEmpty { label += " — " + source.headingPath.joined(separator: " › ") }
            text += "\n\(label)\n\(source.text)\n"
        }
        text += "\nQuestion: \(question)"
        return text
    }

    /// The latest messages that fit the history budget, oldest first; system messages are dropped.
    public func recent(_ history: [ChatMessage]) -> [ChatMessage] {
        var kept: [ChatMessage] = []
        var spent = 0
        for message in history.reversed() where message.role != .system {
            let cost = counter.tokenCount(message.content) + 4
            if spent + cost > historyTokens { break }
            spent += cost
            kept.append(message)
        }
        // Never start the history with an assistant turn that has lost its question.
        while kept.last?.role == .assistant { kept.removeLast() }
        return kept.reversed()
    }

    /// The longest word prefix of `text` within `tokens`.
    func truncate(_ text: String, toTokens tokens: Int) -> String {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        var low = 0, high = words.count
        while low < high {
            let mid = (low + high + 1) / 2
            if counter.tokenCount(words[..<mid].joined(separator: " ")) <= tokens { low = mid } else { high = mid - 1 }
        }
        return words[..<low].joined(separator: " ")
    }

    /// Messages asking the LLM to turn a follow-up into a standalone search question.
    public func rewriteRequest(question: String, history: [ChatMessage]) -> [ChatMessage] {
        let turns = recent(history).map { "\($0.role == .user ? "User" : "Assistant"): \($0.content)" }.joined(separator: "\n")
        return [
            ChatMessage(role: .system, content: """
                Rewrite the user's last question as one standalone search query that can be understood without \
                the conversation. Keep names and technical terms. Answer with the query only, no quotes, no preamble.
                """),
            ChatMessage(role: .user, content: "Conversation:\n\(turns)\n\nLast question: \(question)"),
        ]
    }
}
