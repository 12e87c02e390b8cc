import Configuration

/// Upload and background-job settings.
///
/// Keys: `upload.max_file_size` (bytes, default 50 MB), `upload.max_request_size` (bytes, default 200 MB),
/// `jobs.workers` (jobs run at once per process, default 1), `jobs.stale_after` (seconds without a
/// heartbeat before another worker takes a running job over, default 60), `jobs.max_attempts` (times a job is
/// started before it is given up as failed, default 3: a file that crashes the server must not be retried forever).
public struct IngestionSettings: Sendable {
    public var maxFileSize: Int
    public var maxRequestSize: Int
    public var workers: Int
    public var staleAfterSeconds: Int
    public var maxAttempts: Int

    /// Reads the keys.
    public init(reader: ConfigReader) throws {
        maxFileSize = try reader.strictInt("upload.max_file_size", default: 50 << 20, range: 1024...(1 << 34))
        maxRequestSize = try reader.strictInt("upload.max_request_size", default: 200 << 20, range: 1024...(1 << 35))
        workers = try reader.strictInt("jobs.workers", default: 1, range: 1...64)
        staleAfterSeconds = try reader.strictInt("jobs.stale_after", default: 60, range: 5...86_400)
        maxAttempts = try reader.strictInt("jobs.max_attempts", default: 3, range: 1...100)
    }
}
