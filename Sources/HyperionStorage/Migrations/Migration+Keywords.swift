extension Migration {
    /// BM25 postings per index generation, for the keyword half of a catalog whose vectors live in an outside engine
    /// (see `StoreKeywordCollections`). Knowledge bases are referenced by id text, without a foreign key: a
    /// generation's postings are dropped by the catalog, like its vectors.
    static let createKeywordPostings = Migration(version: 5, name: "create keyword postings") { d in
        [
            """
            CREATE TABLE keyword_generations (
                knowledge_base \(d.text) NOT NULL,
                generation \(d.int) NOT NULL,
                entries \(d.bigint) NOT NULL,
                total_length \(d.bigint) NOT NULL,
                PRIMARY KEY (knowledge_base, generation)
            )
            """,
            """
            CREATE TABLE keyword_entries (
                knowledge_base \(d.text) NOT NULL,
                generation \(d.int) NOT NULL,
                id \(d.text) NOT NULL,
                document_id \(d.text) NOT NULL,
                tags \(d.text) NOT NULL,
                length \(d.int) NOT NULL,
                PRIMARY KEY (knowledge_base, generation, id)
            )
            """,
            "CREATE INDEX keyword_entries_document ON keyword_entries (knowledge_base, generation, document_id)",
            """
            CREATE TABLE keyword_postings (
                knowledge_base \(d.text) NOT NULL,
                generation \(d.int) NOT NULL,
                term \(d.text) NOT NULL,
                id \(d.text) NOT NULL,
                tf \(d.int) NOT NULL,
                PRIMARY KEY (knowledge_base, generation, term, id)
            )
            """,
            "CREATE INDEX keyword_postings_entry ON keyword_postings (knowledge_base, generation, id)",
        ]
    }
}
