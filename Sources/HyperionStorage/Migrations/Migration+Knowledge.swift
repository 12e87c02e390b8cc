extension Migration {
    /// RAG models, their documents and chunks, and the durable job queue.
    static let createKnowledge = Migration(version: 3, name: "create rag models, documents, chunks, jobs") { d in
        [
            """
            CREATE TABLE rag_models (
                id \(d.uuid) PRIMARY KEY,
                owner_id \(d.uuid) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                name \(d.text) NOT NULL,
                description \(d.text),
                visibility \(d.text) NOT NULL,
                embedding_model \(d.text) NOT NULL,
                chunk_size \(d.int) NOT NULL,
                chunk_overlap \(d.int) NOT NULL,
                retrieval_mode \(d.text) NOT NULL,
                top_k \(d.int) NOT NULL,
                llm_provider \(d.text),
                llm_model \(d.text),
                llm_temperature \(d.double) NOT NULL,
                system_prompt \(d.text),
                status \(d.text) NOT NULL,
                generation \(d.int) NOT NULL,
                created_at \(d.timestamp) NOT NULL,
                updated_at \(d.timestamp) NOT NULL,
                last_trained_at \(d.timestamp),
                UNIQUE (owner_id, name)
            )
            """,
            "CREATE INDEX rag_models_visibility ON rag_models (visibility, created_at)",
            """
            CREATE TABLE documents (
                id \(d.uuid) PRIMARY KEY,
                model_id \(d.uuid) NOT NULL REFERENCES rag_models(id) ON DELETE CASCADE,
                title \(d.text) NOT NULL,
                filename \(d.text) NOT NULL,
                format \(d.text) NOT NULL,
                sha256 \(d.text) NOT NULL,
                size_bytes \(d.bigint) NOT NULL,
                status \(d.text) NOT NULL,
                error \(d.text),
                tags \(d.text) NOT NULL,
                metadata \(d.text),
                page_count \(d.int),
                chunk_count \(d.int) NOT NULL,
                created_at \(d.timestamp) NOT NULL,
                updated_at \(d.timestamp) NOT NULL,
                UNIQUE (model_id, sha256)
            )
            """,
            "CREATE INDEX documents_model ON documents (model_id, created_at)",
            """
            CREATE TABLE chunks (
                id \(d.uuid) PRIMARY KEY,
                document_id \(d.uuid) NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                model_id \(d.uuid) NOT NULL,
                generation \(d.int) NOT NULL,
                ordinal \(d.int) NOT NULL,
                text \(d.text) NOT NULL,
                page \(d.int),
                heading_path \(d.text) NOT NULL,
                start_offset \(d.int) NOT NULL,
                end_offset \(d.int) NOT NULL,
                token_count \(d.int) NOT NULL,
                embedding \(d.bytes) NOT NULL
            )
            """,
            "CREATE INDEX chunks_model_generation ON chunks (model_id, generation)",
            "CREATE INDEX chunks_document ON chunks (document_id, generation, ordinal)",
            """
            CREATE TABLE jobs (
                id \(d.uuid) PRIMARY KEY,
                kind \(d.text) NOT NULL,
                model_id \(d.uuid) NOT NULL REFERENCES rag_models(id) ON DELETE CASCADE,
                owner_id \(d.uuid) NOT NULL,
                document_ids \(d.text) NOT NULL,
                status \(d.text) NOT NULL,
                progress_done \(d.int) NOT NULL,
                progress_total \(d.int) NOT NULL,
                error \(d.text),
                attempts \(d.int) NOT NULL,
                created_at \(d.timestamp) NOT NULL,
                started_at \(d.timestamp),
                finished_at \(d.timestamp),
                heartbeat_at \(d.timestamp),
                claimed_by \(d.text)
            )
            """,
            "CREATE INDEX jobs_status ON jobs (status, created_at)",
            "CREATE INDEX jobs_model ON jobs (model_id)",
        ]
    }
}
