import Foundation

/// How Hyperion uses Milvus.
public struct MilvusSettings: Sendable {
    /// The approximate index built on each collection's vectors.
    public enum IndexType: String, Sendable, CaseIterable {
        /// A graph index: the best recall for its speed; tuned by `m`, `efConstruction` and `efSearch`.
        case hnsw
        /// Inverted lists over `nlist` centroids, `nprobe` of them searched: smaller and faster to build.
        case ivfFlat = "ivf_flat"
    }

    /// Which writes a search sees (Milvus's consistency levels).
    public enum Consistency: String, Sendable, CaseIterable {
        /// Every write that returned before the search began, on any instance. A search waits for Milvus's next
        /// time tick (about twice its `proxy.timeTickInterval`).
        case strong
        /// Writes older than Milvus's `common.gracefulTime` (5 s by default): faster, but a new or deleted chunk can be
        /// missed or still found for that long.
        case bounded
        /// Whatever the query nodes hold: the fastest, with no promise.
        case eventually
    }

    /// The server's host.
    public var host: String
    /// The gRPC port (19530 by default).
    public var port: Int
    /// Whether to speak TLS (an `https://` URL).
    public var tls: Bool
    /// `user:password` or an API key, sent as Milvus's `authorization` metadata; `nil` when Milvus runs without auth.
    public var token: String?
    /// The database holding Hyperion's collections (created when missing).
    public var database: String
    /// The index of new collections.
    public var indexType: IndexType
    /// HNSW: links per node, candidates while building, candidates while searching (raised to k when lower).
    public var m: Int
    public var efConstruction: Int
    public var efSearch: Int
    /// IVF_FLAT: clusters built, clusters searched.
    public var nlist: Int
    public var nprobe: Int
    /// Which writes a search sees.
    public var consistency: Consistency
    /// Seconds per call.
    public var timeoutSeconds: Int

    /// Settings for the server at `host:port`.
    public init(host: String, port: Int = 19530, tls: Bool = false, token: String? = nil, database: String = "default",
                indexType: IndexType = .hnsw, m: Int = 16, efConstruction: Int = 200, efSearch: Int = 200, nlist: Int = 1024,
                nprobe: Int = 32, consistency: Consistency = .strong, timeoutSeconds: Int = 10) {
        self.host = host
        self.port = port
        self.tls = tls
        self.token = token
        self.database = database
        self.indexType = indexType
        self.m = m
        self.efConstruction = efConstruction
        self.efSearch = efSearch
        self.nlist = nlist
        self.nprobe = nprobe
        self.consistency = consistency
        self.timeoutSeconds = timeoutSeconds
    }

    /// Host, port and TLS of a URL: `http://host:port`, `https://host:port`, `grpc://host:port` or `host:port`, the
    /// port 19530 when left out; `nil` when it is none of these.
    public static func endpoint(of url: String) -> (host: String, port: Int, tls: Bool)? {
        let text = url.trimmingCharacters(in: .whitespaces)
        let withScheme = text.contains("://") ? text : "grpc://" + text
        guard let parsed = URLComponents(string: withScheme), let scheme = parsed.scheme?.lowercased(),
              ["http", "https", "grpc", "grpcs", "tcp"].contains(scheme),
              let host = parsed.host, !host.isEmpty, parsed.path.isEmpty || parsed.path == "/", parsed.query == nil else { return nil }
        let port = parsed.port ?? 19530
        guard (1...65535).contains(port) else { return nil }
        return (host, port, scheme == "https" || scheme == "grpcs")
    }
}
