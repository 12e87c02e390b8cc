extension Migration {
    /// Sessions with their messages, and the log of every query with its answer.
    static let createAnswers = Migration(version: 4, name: "create sessions, session messages, queries") { d in
        [
            """
            CREATE TABLE sessions (
                id \(d.uuid) PRIMARY KEY,
                user_id \(d.uuid) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                model_id \(d.uuid) NOT NULL REFERENCES rag_models(id) ON DELETE CASCADE,
                title \(d.text) NOT NULL,
                created_at \(d.timestamp) NOT NULL,
                updated_at \(d.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX sessions_user ON sessions (user_id, updated_at)",
            """
            CREATE TABLE session_messages (
                id \(d.uuid) PRIMARY KEY,
                session_id \(d.uuid) NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                seq \(d.bigint) NOT NULL,
                role \(d.text) NOT NULL,
                content \(d.text) NOT NULL,
                query_id \(d.uuid),
                created_at \(d.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX session_messages_session ON session_messages (session_id, seq)",
            """
            CREATE TABLE queries (
                id \(d.uuid) PRIMARY KEY,
                user_id \(d.uuid) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                model_id \(d.uuid) NOT NULL REFERENCES rag_models(id) ON DELETE CASCADE,
                session_id \(d.uuid) REFERENCES sessions(id) ON DELETE SET NULL,
                query \(d.text) NOT NULL,
                retrieval_query \(d.text),
                answer \(d.text) NOT NULL,
                status \(d.text) NOT NULL,
                error \(d.text),
                provider \(d.text),
                llm_model \(d.text),
                mode \(d.text) NOT NULL,
                top_k \(d.int) NOT NULL,
                sources \(d.text) NOT NULL,
                citations \(d.text) NOT NULL,
                prompt_tokens \(d.int),
                completion_tokens \(d.int),
                retrieval_ms \(d.double) NOT NULL,
                generation_ms \(d.double) NOT NULL,
                created_at \(d.timestamp) NOT NULL,
                finished_at \(d.timestamp)
            )
            """,
            "CREATE INDEX queries_user ON queries (user_id, created_at)",
            "CREATE INDEX queries_model ON queries (model_id, created_at)",
        ]
    }
}
