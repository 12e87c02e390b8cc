/// Byte-exact bodies in each provider's streaming format.
enum Wire {
    static func openAIChunk(_ content: String?, finish: String? = nil, id: String = "chatcmpl-1") -> String {
        let delta = content.map { "{\"content\":\(json($0))}" } ?? "{}"
        let reason = finish.map { "\"\($0)\"" } ?? "null"
        return "data: {\"id\":\"\(id)\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":\(delta),\"finish_reason\":\(reason)}]}\n\n"
    }

    static func openAIUsage(prompt: Int, completion: Int) -> String {
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":\(prompt),\"completion_tokens\":\(completion),\"total_tokens\":\(prompt + completion)}}\n\n"
    }

    static let openAIDone = "data: [DONE]\n\n"

    static func openAIStream(_ words: [String]) -> [String] {
        [openAIChunk("")] + words.map { openAIChunk($0) } + [openAIChunk(nil, finish: "stop"), openAIUsage(prompt: 11, completion: words.count), openAIDone]
    }

    static func ollamaLine(_ content: String) -> String {
        "{\"model\":\"llama3.2\",\"created_at\":\"2024-07-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\(json(content))},\"done\":false}\n"
    }

    static func ollamaDone(prompt: Int, eval: Int) -> String {
        "{\"model\":\"llama3.2\",\"created_at\":\"2024-07-01T00:00:01Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,\"total_duration\":1000,\"prompt_eval_count\":\(prompt),\"eval_count\":\(eval)}\n"
    }

    static func anthropicEvent(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }

    static func anthropicStream(_ words: [String], input: Int = 25, output: Int = 15) -> [String] {
        var events = [
            anthropicEvent("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":\(input),\"output_tokens\":1}}}"),
            anthropicEvent("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"),
            anthropicEvent("ping", "{\"type\": \"ping\"}"),
        ]
        events += words.map { anthropicEvent("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\(json($0))}}") }
        events += [
            anthropicEvent("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"),
            anthropicEvent("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":\(output)}}"),
            anthropicEvent("message_stop", "{\"type\":\"message_stop\"}"),
        ]
        return events
    }

    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
