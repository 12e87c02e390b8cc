import Configuration

/// Upload and background-job settings.
///
/// Keys: `upload.max_file_size` (bytes, default 50 MB), `upload.max_request_size` (bytes, default 200 MB),
/// `jobs.workers` (jobs run at once per process, default 2), `jobs.per_user` (of those, one user's at most, default 1), `jobs.stale_after` (a running job's lease in
/// seconds, renewed while it runs; default 60), `jobs.max_attempts` (times a job is
/// started before it is given up as failed, default 3: a file that crashes the server must not be retried forever),
/// `quota.models_per_user`, `quota.documents_per_user`, `quota.bytes_per_user` (0 = unlimited; admins are exempt).
public struct IngestionSettings: Sendable {
    public var maxFileSize: Int
    public var maxRequestSize: Int
    public var workers: Int
    /// Jobs of one user running at once in this process (fairness: with more lanes than this, other users' jobs are never stuck
    /// behind one user's big upload).
    public var perUser: Int
    public var staleAfterSeconds: Int
    public var maxAttempts: Int
    /// Chunks one document may make (its embedding, rows and index entries all grow with them); 0 = unlimited.
    public var maxChunksPerDocument: Int
    /// Per-user quotas (admins are exempt; 0 = unlimited): RAG models, documents, stored bytes.
    public var quota: Quota

    /// What one (non-admin) user may own; 0 means unlimited.
    public struct Quota: Sendable {
        public var models: Int
        public var documents: Int
        public var bytes: Int
    }

    /// Reads the keys.
    public init(reader: ConfigReader) throws {
        maxFileSize = try Setting.maxFileSize.read(reader)
        maxRequestSize = try Setting.maxRequestSize.read(reader)
        workers = try Setting.workers.read(reader)
        perUser = try Setting.perUser.read(reader)
        staleAfterSeconds = try Setting.staleAfter.read(reader)
        maxAttempts = try Setting.maxAttempts.read(reader)
        maxChunksPerDocument = try Setting.maxChunksPerDocument.read(reader)
        quota = Quota(models: try Setting.quotaModels.read(reader),
                      documents: try Setting.quotaDocuments.read(reader),
                      bytes: try Setting.quotaBytes.read(reader))
    }
}
