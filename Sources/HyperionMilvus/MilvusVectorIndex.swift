import Foundation
import GRPCCore
import HyperionCore

/// One generation's Milvus collection.
struct MilvusVectorIndex: VectorIndex {
    let owner: MilvusCollections
    let generation: IndexGeneration

    /// Limits of the collection's fields (UTF-8 bytes): chunk and document ids are UUIDs, tags at most 50 of 100
    /// characters; the margins only cost Milvus's schema nothing.
    static let maxIDBytes = 512
    static let maxTags = 256
    static let maxTagBytes = 1024
    /// Largest k Milvus searches.
    static let maxTopK = 16384
    /// Bytes of vectors per upsert, well inside gRPC's and Milvus's message limits.
    static let batchBytes = 4 << 20
    /// Ids per delete expression.
    static let deleteBatch = 1000

    var dimension: Int { owner.dimension }
    private var settings: MilvusSettings { owner.settings }
    private var kb: UUID { generation.knowledgeBase }

    /// Runs `body` on the prepared collection; a collection released behind our back is loaded again once (the owner's
    /// `check` forgets a collection Milvus reports as not loaded, so the next `prepared` loads it).
    private func onCollection<Result: Sendable>(_ body: (String) async throws -> Result) async throws -> Result {
        let name = try await owner.prepared(generation)
        do {
            return try await body(name)
        } catch let error as IndexEngineError where error.reason == .unavailable && !owner.isReady(generation) {
            return try await body(try await owner.prepared(generation))
        }
    }

    func count() async throws -> Int {
        try await onCollection { name in
            var request = Milvus_Proto_Milvus_QueryRequest()
            request.dbName = settings.database
            request.collectionName = name
            request.expr = "id != \"\""
            request.outputFields = ["count(*)"]
            request.consistencyLevel = settings.consistency.level
            request.useDefaultConsistency = false
            let answer = try await owner.call(kb, "counting") { service, metadata, options in
                try await service.query(request, metadata: metadata, options: options)
            }
            try owner.check(answer.status, generation, "counting")
            guard let field = answer.fieldsData.first(where: { $0.fieldName == "count(*)" }), let count = field.scalars.longData.data.first else {
                throw IndexEngineError(.badResponse, engine: owner.engine, knowledgeBase: kb, "a count without count(*)")
            }
            return Int(count)
        }
    }

    func add(_ entries: [VectorEntry]) async throws {
        for entry in entries {
            guard entry.vector.count == dimension else {
                throw HyperionError.invalid("vector", "has \(entry.vector.count) dimensions, the index \(dimension)")
            }
            guard !entry.id.isEmpty else { throw HyperionError.invalid("id", "must not be empty") }
            guard entry.id.utf8.count <= Self.maxIDBytes, entry.metadata.documentID.utf8.count <= Self.maxIDBytes else {
                throw HyperionError.invalid("id", "at most \(Self.maxIDBytes) bytes in Milvus")
            }
            guard entry.metadata.tags.count <= Self.maxTags, entry.metadata.tags.allSatisfy({ $0.utf8.count <= Self.maxTagBytes }) else {
                throw HyperionError.invalid("tags", "at most \(Self.maxTags) tags of at most \(Self.maxTagBytes) bytes in Milvus")
            }
        }
        // One upsert would keep every copy of an id sent twice in it.
        let kept = entries.lastPerID(\.id)
        let perBatch = max(1, Self.batchBytes / (dimension * 4 + 64))
        try await onCollection { name in
            for start in stride(from: 0, to: kept.count, by: perBatch) {
                let part = kept[start..<min(start + perBatch, kept.count)]
                var request = Milvus_Proto_Milvus_UpsertRequest()
                request.dbName = settings.database
                request.collectionName = name
                request.numRows = UInt32(part.count)
                request.fieldsData = [
                    .strings("id", part.map(\.id)),
                    .strings("document_id", part.map(\.metadata.documentID)),
                    .stringLists("tags", part.map(\.metadata.tags)),
                    .vectors("vector", dimension: dimension, part.flatMap { entry in entry.vector.map { $0.isFinite ? $0 : 0 } }),
                ]
                let answer = try await owner.call(kb, "adding vectors") { service, metadata, options in
                    try await service.upsert(request, metadata: metadata, options: options)
                }
                try owner.check(answer.status, generation, "adding vectors")
                guard answer.errIndex.isEmpty else {
                    throw IndexEngineError(.badResponse, engine: owner.engine, knowledgeBase: kb, "refused \(answer.errIndex.count) of \(part.count) vectors")
                }
            }
        }
    }

    func remove(ids: [String]) async throws {
        try await delete(field: "id", ids)
    }

    func remove(documentIDs: [String]) async throws {
        try await delete(field: "document_id", documentIDs)
    }

    private func delete(field: String, _ values: [String]) async throws {
        guard !values.isEmpty else { return }
        try await onCollection { name in
            for start in stride(from: 0, to: values.count, by: Self.deleteBatch) {
                var request = Milvus_Proto_Milvus_DeleteRequest()
                request.dbName = settings.database
                request.collectionName = name
                request.expr = MilvusExpression.in(field, values[start..<min(start + Self.deleteBatch, values.count)])
                let answer = try await owner.call(kb, "deleting vectors") { service, metadata, options in
                    try await service.delete(request, metadata: metadata, options: options)
                }
                try owner.check(answer.status, generation, "deleting vectors")
            }
        }
    }

    func search(_ query: [Float], k: Int, filter: SearchFilter) async throws -> [IndexHit] {
        guard k > 0 else { return [] }
        guard query.count == dimension else { throw HyperionError.invalid("vector", "has \(query.count) dimensions, the index \(dimension)") }
        guard let expression = MilvusExpression.filter(filter) else { return [] }
        let k = min(k, Self.maxTopK)
        var placeholder = Milvus_Proto_Common_PlaceholderValue()
        placeholder.tag = "$0"
        placeholder.type = .floatVector
        placeholder.values = [query.map { $0.isFinite ? $0 : 0 }.withUnsafeBytes { Data($0) }]
        var group = Milvus_Proto_Common_PlaceholderGroup()
        group.placeholders = [placeholder]
        let serialized: Data = try group.serializedBytes()
        let params: String
        switch settings.indexType {
        case .hnsw: params = "{\"ef\": \(min(max(settings.efSearch, k), 32768))}"
        case .ivfFlat: params = "{\"nprobe\": \(settings.nprobe)}"
        }
        return try await onCollection { name in
            var request = Milvus_Proto_Milvus_SearchRequest()
            request.dbName = settings.database
            request.collectionName = name
            request.dsl = expression
            request.dslType = .boolExprV1
            request.placeholderGroup = serialized
            request.outputFields = ["document_id"]
            request.searchParams = [keyValue("anns_field", "vector"), keyValue("topk", "\(k)"), keyValue("metric_type", "COSINE"),
                                    keyValue("params", params), keyValue("round_decimal", "-1")]
            request.nq = 1
            request.consistencyLevel = settings.consistency.level
            request.useDefaultConsistency = false
            let answer = try await owner.call(kb, "searching") { service, metadata, options in
                try await service.search(request, metadata: metadata, options: options)
            }
            try owner.check(answer.status, generation, "searching")
            let data = answer.results
            let ids = data.ids.strID.data
            let documents = data.fieldsData.first { $0.fieldName == "document_id" }?.scalars.stringData.data ?? []
            guard data.scores.count == ids.count, documents.count == ids.count else {
                throw IndexEngineError(.badResponse, engine: owner.engine, knowledgeBase: kb,
                                       "a search answer with \(ids.count) ids, \(data.scores.count) scores and \(documents.count) documents")
            }
            return (0..<ids.count).map { IndexHit(id: ids[$0], documentID: documents[$0], score: data.scores[$0]) }
        }
    }
}

extension Milvus_Proto_Schema_FieldData {
    static func strings(_ name: String, _ values: [String]) -> Self {
        var field = Self()
        field.fieldName = name
        field.type = .varChar
        field.scalars.stringData.data = values
        return field
    }

    static func stringLists(_ name: String, _ lists: [[String]]) -> Self {
        var field = Self()
        field.fieldName = name
        field.type = .array
        field.scalars.arrayData.elementType = .varChar
        field.scalars.arrayData.data = lists.map { list in
            var element = Milvus_Proto_Schema_ScalarField()
            element.stringData.data = list
            return element
        }
        return field
    }

    static func vectors(_ name: String, dimension: Int, _ values: [Float]) -> Self {
        var field = Self()
        field.fieldName = name
        field.type = .floatVector
        field.vectors.dim = Int64(dimension)
        field.vectors.floatVector.data = values
        return field
    }
}

/// Milvus boolean expressions built from values, never from text a user typed into them.
enum MilvusExpression {
    /// A string literal: Milvus reads it as a Go quoted string, so quotes, backslashes and control characters are escaped.
    static func literal(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func list(_ values: some Sequence<String>) -> String {
        "[" + values.map(literal).joined(separator: ", ") + "]"
    }

    /// `field in [values]`.
    static func `in`(_ field: String, _ values: some Sequence<String>) -> String {
        "\(field) in \(list(values))"
    }

    /// The expression of a search filter: `""` when it lets everything through, `nil` when it lets nothing through.
    static func filter(_ filter: SearchFilter) -> String? {
        var clauses: [String] = []
        if let ids = filter.documentIDs {
            guard !ids.isEmpty else { return nil }
            clauses.append(self.in("document_id", ids.sorted()))
        }
        if let tags = filter.anyTags {
            guard !tags.isEmpty else { return nil }
            clauses.append("array_contains_any(tags, \(list(tags.sorted())))")
        }
        return clauses.map { clauses.count > 1 ? "(\($0))" : $0 }.joined(separator: " and ")
    }
}
