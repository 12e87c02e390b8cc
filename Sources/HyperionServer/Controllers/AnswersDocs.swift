/// OpenAPI operations and schemas of queries, sessions, generation and providers.
enum AnswersDocs {
    typealias D = OpenAPIDocument
    typealias A = AuthDocs
    typealias K = KnowledgeDocs

    static let source: JSONValue = A.object(["n", "document_id", "title", "page", "chunk_id", "score", "snippet"], [
        ("n", ["type": "integer", "description": "The number the answer cites it by, [n]"]), ("document_id", A.uuid), ("title", A.string),
        ("page", K.nullableInt), ("chunk_id", A.uuid), ("score", ["type": "number"]), ("snippet", A.string),
    ])
    static let usage: JSONValue = ["type": ["object", "null"], "properties": [
        "prompt_tokens": ["type": "integer"], "completion_tokens": ["type": "integer"], "total_tokens": ["type": "integer"],
    ]]
    static let timings: JSONValue = A.object(["retrieval_ms", "generation_ms"], [("retrieval_ms", ["type": "number"]), ("generation_ms", ["type": "number"])])
    static let status: JSONValue = ["type": "string", "enum": ["running", "completed", "failed", "cancelled"]]

    static let schemas: [(String, JSONValue)] = [
        ("QueryRequest", A.object(["model_id", "query"], [
            ("model_id", A.uuid), ("query", K.question), ("top_k", K.topK), ("mode", K.mode),
            ("filters", A.object([], [
                ("tags", ["type": "array", "items": A.string]), ("document_ids", ["type": "array", "items": A.uuid]),
                ("metadata", ["type": "object"]),
            ])),
            ("session_id", A.uuid),
            ("stream", ["type": "boolean", "description": "Answer as Server-Sent Events: sources, delta…, citations, done (or error). Accept: text/event-stream does the same."]),
            ("provider", ["type": "string", "maxLength": 100, "description": "This question only: an LLM provider (GET /api/v1/llm/models) instead of the knowledge base's, or 'extractive'"]),
            ("llm_model", ["type": "string", "maxLength": 200, "description": "This question only: the provider's model (plain users: its default or llm.<name>.allowed_models)"]),
        ])),
        ("Source", source),
        ("Query", A.object(["id", "model_id", "query", "answer", "status", "extractive", "mode", "top_k", "citations", "sources", "timings", "created_at"], [
            ("id", A.uuid), ("model_id", A.uuid), ("session_id", ["type": ["string", "null"], "format": "uuid"]), ("query", A.string),
            ("retrieval_query", ["type": ["string", "null"], "description": "The standalone question retrieval used, when a follow-up was rewritten"]),
            ("answer", A.string), ("status", status), ("error", A.nullableString),
            ("extractive", ["type": "boolean", "description": "Quoted from the sources without an LLM"]),
            ("provider", A.nullableString), ("llm_model", A.nullableString), ("mode", K.mode), ("top_k", ["type": "integer"]),
            ("citations", ["type": "array", "items": D.ref("Source"), "description": "Sources the answer cites, in order of first mention"]),
            ("sources", ["type": "array", "items": D.ref("Source"), "description": "Everything retrieved, with the whole passage as snippet"]),
            ("usage", usage), ("timings", timings), ("created_at", A.timestamp), ("finished_at", K.nullableTimestamp),
        ])),
        ("QuerySummary", A.object(["id", "model_id", "query", "answer", "status", "extractive", "citation_count", "created_at"], [
            ("id", A.uuid), ("model_id", A.uuid), ("session_id", ["type": ["string", "null"], "format": "uuid"]), ("query", A.string),
            ("answer", A.string), ("status", status), ("extractive", ["type": "boolean"]), ("citation_count", ["type": "integer"]),
            ("created_at", A.timestamp),
        ])),
        ("QueryList", A.list("QuerySummary")),
        ("CreateSessionRequest", A.object(["model_id"], [("model_id", A.uuid), ("title", ["type": "string", "minLength": 1, "maxLength": 200])])),
        ("UpdateSessionRequest", A.object(["title"], [("title", ["type": "string", "minLength": 1, "maxLength": 200])])),
        ("Session", A.object(["id", "model_id", "title", "created_at", "updated_at"], [
            ("id", A.uuid), ("model_id", A.uuid), ("title", A.string), ("created_at", A.timestamp), ("updated_at", A.timestamp),
        ])),
        ("SessionList", A.list("Session")),
        ("Message", A.object(["id", "role", "content", "created_at"], [
            ("id", A.uuid), ("role", ["type": "string", "enum": ["system", "user", "assistant"]]), ("content", A.string),
            ("query_id", ["type": ["string", "null"], "format": "uuid"]), ("created_at", A.timestamp),
        ])),
        ("MessageList", A.list("Message")),
        ("GenerateRequest", A.object([], [
            ("provider", ["type": "string", "description": "A configured provider; default: llm.default_provider"]),
            ("model", ["type": "string", "minLength": 1, "maxLength": 200]), ("prompt", A.string), ("system", A.string),
            ("messages", ["type": "array", "items": A.object(["role", "content"], [
                ("role", ["type": "string", "enum": ["system", "user", "assistant"]]), ("content", A.string),
            ])]),
            ("temperature", ["type": "number", "minimum": 0, "maximum": 2]), ("top_p", ["type": "number", "exclusiveMinimum": 0, "maximum": 1]),
            ("max_tokens", ["type": "integer", "minimum": 1, "maximum": 32768]), ("stream", ["type": "boolean"]),
        ])),
        ("Generation", A.object(["provider", "text", "generation_ms"], [
            ("provider", A.string), ("model", A.nullableString), ("text", A.string), ("finish_reason", A.nullableString), ("usage", usage),
            ("generation_ms", ["type": "number"]),
        ])),
        ("OpenAIChatRequest", A.object(["model", "messages"], [
            ("model", ["type": "string", "description": "A RAG model's id or name (GET /v1/models)"]),
            ("messages", ["type": "array", "items": A.object(["role"], [
                ("role", ["type": "string", "enum": ["system", "developer", "user", "assistant"]]),
                ("content", ["description": "A string, or a list of text parts", "type": ["string", "array", "null"]]),
            ])]),
            ("stream", ["type": "boolean"]), ("stream_options", A.object([], [("include_usage", ["type": "boolean"])])),
            ("temperature", ["type": "number", "minimum": 0, "maximum": 2]), ("top_p", ["type": "number"]),
            ("max_tokens", ["type": "integer"]), ("max_completion_tokens", ["type": "integer"]), ("n", ["type": "integer", "enum": [1]]),
        ])),
        ("OpenAIChatCompletion", A.object(["id", "object", "created", "model", "choices", "usage"], [
            ("id", A.string), ("object", ["type": "string", "enum": ["chat.completion"]]), ("created", ["type": "integer"]), ("model", A.string),
            ("choices", ["type": "array", "items": ["type": "object"]]), ("usage", ["type": "object"]),
            ("sources", ["type": "array", "items": D.ref("Source")]), ("citations", ["type": "array", "items": D.ref("Source")]),
            ("query_id", A.uuid),
        ])),
        ("OpenAIModelList", A.object(["object", "data"], [
            ("object", ["type": "string", "enum": ["list"]]),
            ("data", ["type": "array", "items": A.object(["id", "object", "created", "owned_by"], [
                ("id", A.string), ("object", ["type": "string", "enum": ["model"]]), ("created", ["type": "integer"]), ("owned_by", A.string), ("name", A.string),
            ])]),
        ])),
        ("OpenAIEmbeddingRequest", A.object(["input", "model"], [
            ("input", ["description": "A string or a list of strings", "type": ["string", "array"]]), ("model", A.string),
            ("encoding_format", ["type": "string", "enum": ["float", "base64"]]), ("dimensions", ["type": "integer"]),
        ])),
        ("OpenAIEmbeddingList", A.object(["object", "data", "model", "usage"], [
            ("object", ["type": "string", "enum": ["list"]]), ("data", ["type": "array", "items": ["type": "object"]]), ("model", A.string),
            ("usage", ["type": "object"]),
        ])),
        ("OpenAIError", A.object(["error"], [("error", A.object(["message", "type"], [
            ("message", A.string), ("type", A.string), ("param", A.nullableString), ("code", A.nullableString),
        ]))])),
        ("Providers", A.object(["default_provider", "items"], [
            ("default_provider", ["type": "string", "description": "'extractive' when none is configured"]),
            ("items", ["type": "array", "items": A.object(["name", "kind", "reachable", "models"], [
                ("name", A.string), ("kind", ["type": "string", "description": "openai, ollama or anthropic"]), ("default_model", A.nullableString),
                ("reachable", ["type": "boolean"]), ("models", ["type": "array", "items": A.string]), ("error", A.nullableString),
            ])]),
        ])),
    ]

    /// The operation with OpenAI's error body as its default response instead of the envelope.
    static func openAI(_ operation: APIOperation) -> APIOperation {
        var operation = operation
        guard case .object(var fields) = operation.spec, let index = fields.firstIndex(where: { $0.0 == "responses" }),
              case .object(var responses) = fields[index].1, let slot = responses.firstIndex(where: { $0.0 == "default" }) else { return operation }
        responses[slot].1 = D.json("OpenAI error body", D.ref("OpenAIError"))
        fields[index].1 = .object(responses)
        operation.spec = .object(fields)
        return operation
    }

    static let streamed: JSONValue = ["description": "The answer", "content": [
        "application/json": ["schema": D.ref("Query")],
        "text/event-stream": ["schema": sseEvent("One SSE event: sources, delta (repeated), citations, done; or error (the envelope). Comment heartbeats while waiting.",
                                                 events: ["sources", "delta", "citations", "done", "error"])],
    ]]

    /// One Server-Sent Event as OpenAPI validators parse it: its `event` name (absent for data-only streams) and
    /// its `data` line, JSON as text.
    static func sseEvent(_ description: String, events: [String]?) -> JSONValue {
        var properties: [(String, JSONValue)] = [("data", A.string)]
        if let events { properties.append(("event", ["type": "string", "enum": .array(events.map { .string($0) })])) }
        return ["type": "object", "description": .string(description), "required": ["data"], "properties": .object(properties)]
    }
    static let modelFilter: JSONValue = ["name": "model_id", "in": "query", "schema": A.uuid]

    static let providerName: JSONValue = ["name": "name", "in": "path", "required": true, "schema": ["type": "string", "maxLength": 40]]
    static let connection: JSONValue = A.object(["name", "kind", "source", "has_api_key", "is_default", "editable"], [
        ("name", A.string), ("kind", A.string), ("source", ["type": "string", "enum": ["configuration", "runtime", "in-process"]]),
        ("base_url", A.nullableString), ("model", A.nullableString), ("has_api_key", ["type": "boolean"]), ("is_default", ["type": "boolean"]),
        ("editable", ["type": "boolean"]), ("connect_timeout_ms", K.nullableInt), ("first_token_timeout_ms", K.nullableInt),
        ("total_timeout_ms", K.nullableInt), ("error", A.nullableString),
    ])
    static let timeoutMilliseconds: JSONValue = ["type": "integer", "minimum": 100, "maximum": 3_600_000]
    static let providerSchemas: [(String, JSONValue)] = [
        ("LLMConnection", connection),
        ("LLMConnectionList", A.object(["items", "default_provider", "secrets_configured"], [
            ("items", ["type": "array", "items": D.ref("LLMConnection")]), ("default_provider", A.string), ("secrets_configured", ["type": "boolean"]),
        ])),
        ("CreateLLMConnection", A.object(["name", "kind"], [
            ("name", ["type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_-]{0,39}$"]), ("kind", ["type": "string", "enum": ["openai", "ollama", "anthropic"]]),
            ("base_url", ["type": "string", "format": "uri"]), ("api_key", ["type": "string", "writeOnly": true, "maxLength": 4096]),
            ("model", ["type": "string", "maxLength": 200]), ("connect_timeout_ms", timeoutMilliseconds),
            ("first_token_timeout_ms", timeoutMilliseconds), ("total_timeout_ms", timeoutMilliseconds),
        ])),
        ("UpdateLLMConnection", A.object([], [
            ("base_url", ["type": "string", "format": "uri"]), ("api_key", ["type": ["string", "null"], "writeOnly": true, "maxLength": 4096]),
            ("model", ["type": ["string", "null"], "maxLength": 200]), ("connect_timeout_ms", timeoutMilliseconds),
            ("first_token_timeout_ms", timeoutMilliseconds), ("total_timeout_ms", timeoutMilliseconds),
        ])),
        ("LLMConnectionTest", A.object(["name", "reachable", "models", "milliseconds"], [
            ("name", A.string), ("reachable", ["type": "boolean"]), ("models", ["type": "array", "items": A.string]),
            ("error", A.nullableString), ("milliseconds", ["type": "integer"]),
        ])),
        ("DefaultLLM", A.object([], [("provider", A.nullableString)])),
        ("PullModel", A.object(["model"], [("model", ["type": "string", "minLength": 1, "maxLength": 200, "pattern": "^\\S+$"])])),
    ]

    static let operations: [APIOperation] = [
        A.op("post", "/api/v1/query", "query", "Ask a RAG model: retrieve, answer with [n] citations, store the query", tag: "query", access: .user,
             body: A.jsonBody("QueryRequest"), success: [("200", streamed)]),
        A.op("post", "/api/v1/query/{id}/stop", "stopQuery",
             "Stop a query while its answer is generated, on whichever instance runs it (owner or admin); its stream ends with a query_stopped error event and it is stored as cancelled",
             tag: "query", access: .user, parameters: [A.idParameter],
             success: [("202", D.json("Stopping", ["type": "object", "properties": ["id": A.uuid, "status": ["type": "string"]]]))]),
        A.op("get", "/api/v1/query/{id}", "getQuery", "A stored query with its answer (owner or admin)", tag: "query", access: .user,
             parameters: [A.idParameter], success: [("200", D.json("The query", D.ref("Query")))]),
        A.op("get", "/api/v1/queries", "listQueries", "The caller's query history, newest first", tag: "query", access: .user,
             parameters: A.pageParameters + [modelFilter, ["name": "session_id", "in": "query", "schema": A.uuid],
                                             ["name": "all", "in": "query", "schema": ["type": "boolean"], "description": "Admins: everyone's"]],
             success: [("200", D.json("A page of queries", D.ref("QueryList")))]),
        A.op("post", "/api/v1/sessions", "createSession", "Start a conversation with a RAG model", tag: "sessions", access: .user,
             body: A.jsonBody("CreateSessionRequest"), success: [("201", D.json("The session", D.ref("Session")))]),
        A.op("get", "/api/v1/sessions", "listSessions", "The caller's sessions, most recently active first", tag: "sessions", access: .user,
             parameters: A.pageParameters + [modelFilter], success: [("200", D.json("A page of sessions", D.ref("SessionList")))]),
        A.op("get", "/api/v1/sessions/{id}", "getSession", "A session", tag: "sessions", access: .user,
             parameters: [A.idParameter], success: [("200", D.json("The session", D.ref("Session")))]),
        A.op("patch", "/api/v1/sessions/{id}", "renameSession", "Rename a session", tag: "sessions", access: .user,
             body: A.jsonBody("UpdateSessionRequest"), parameters: [A.idParameter], success: [("200", D.json("The session", D.ref("Session")))]),
        A.op("delete", "/api/v1/sessions/{id}", "deleteSession", "Delete a session and its messages (its queries stay in the history)", tag: "sessions",
             access: .user, parameters: [A.idParameter], success: [("204", A.noContent)]),
        A.op("get", "/api/v1/sessions/{id}/messages", "listSessionMessages", "A session's messages, oldest first", tag: "sessions", access: .user,
             parameters: [A.idParameter] + A.pageParameters, success: [("200", D.json("A page of messages", D.ref("MessageList")))]),
        A.op("get", "/api/v1/llm/models", "listProviders", "Configured LLM providers with their models and reachability", tag: "llm", access: .user,
             success: [("200", D.json("Providers", D.ref("Providers")))]),
        A.op("get", "/api/v1/llm/providers", "listLLMConnections", "Every LLM provider with its settings, never its key (admin)", tag: "llm", access: .admin,
             success: [("200", D.json("Providers", D.ref("LLMConnectionList")))]),
        A.op("post", "/api/v1/llm/providers", "createLLMConnection", "Add an LLM provider at run time; its API key is stored encrypted (admin; needs secrets.master_key for a key)",
             tag: "llm", access: .admin, body: A.jsonBody("CreateLLMConnection"), success: [("201", D.json("The provider", D.ref("LLMConnection")))]),
        A.op("patch", "/api/v1/llm/providers/{name}", "updateLLMConnection", "Change a provider added at run time (admin; null removes api_key or model)",
             tag: "llm", access: .admin, body: A.jsonBody("UpdateLLMConnection"), parameters: [providerName], success: [("200", D.json("The provider", D.ref("LLMConnection")))]),
        A.op("delete", "/api/v1/llm/providers/{name}", "deleteLLMConnection",
             "Remove a provider added at run time (admin); 409 while knowledge bases answer through it, unless force=true sends them to the default",
             tag: "llm", access: .admin,
             parameters: [providerName, ["name": "force", "in": "query", "schema": ["type": "string", "enum": ["true", "false"], "default": "false"]]],
             success: [("204", A.noContent)]),
        A.op("post", "/api/v1/llm/providers/{name}/test", "testLLMConnection", "Whether a provider answers (address, key), with the models it serves (admin)",
             tag: "llm", access: .admin, parameters: [providerName], success: [("200", D.json("The test", D.ref("LLMConnectionTest")))]),
        A.op("post", "/api/v1/llm/providers/{name}/pull", "pullLLMModel", "Download a model into an Ollama provider; progress streams as SSE (progress…, done; or error) (admin)",
             tag: "llm", access: .admin, body: A.jsonBody("PullModel"), parameters: [providerName], success: [("200", ["description": "The download's progress", "content": [
                 "text/event-stream": ["schema": sseEvent("One SSE event: progress {status, digest, total, completed} (repeated), done {provider, model}; or error (the envelope)",
                                                          events: ["progress", "done", "error"])],
             ]])]),
        A.op("put", "/api/v1/llm/default", "setDefaultLLM", "Choose the default provider at run time: a name, 'extractive', or null for the configuration's (admin)",
             tag: "llm", access: .admin, body: A.jsonBody("DefaultLLM"), success: [("200", D.json("The default now", D.ref("DefaultLLM")))]),
        A.op("post", "/api/v1/generate", "generate", "Plain generation with a provider, no retrieval", tag: "llm", access: .user,
             body: A.jsonBody("GenerateRequest"), success: [("200", ["description": "The generation", "content": [
                 "application/json": ["schema": D.ref("Generation")],
                 "text/event-stream": ["schema": sseEvent("One SSE event: delta (repeated), done; or error (the envelope)", events: ["delta", "done", "error"])],
             ]])]),
        openAI(A.op("get", "/v1/models", "openaiListModels", "OpenAI-compatible: the RAG models the caller may use", tag: "openai", access: .user,
             success: [("200", D.json("Models", D.ref("OpenAIModelList")))])),
        openAI(A.op("post", "/v1/chat/completions", "openaiChatCompletions", "OpenAI-compatible chat: the last user message is asked of the RAG model",
             tag: "openai", access: .user, body: A.jsonBody("OpenAIChatRequest"), success: [("200", ["description": "The completion", "content": [
                 "application/json": ["schema": D.ref("OpenAIChatCompletion")],
                 "text/event-stream": ["schema": sseEvent("One data line: a chat.completion.chunk, or [DONE] at the end", events: nil)],
             ]])])),
        openAI(A.op("post", "/v1/embeddings", "openaiEmbeddings", "OpenAI-compatible embeddings with the in-process model", tag: "openai", access: .user,
             body: A.jsonBody("OpenAIEmbeddingRequest"), success: [("200", D.json("Embeddings", D.ref("OpenAIEmbeddingList")))])),
    ]
}
