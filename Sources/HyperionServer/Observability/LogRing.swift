import Foundation
import Logging
import Synchronization

/// One application log line as the logs API returns it: what the JSON line says, credentials already redacted.
struct LogRecord: Sendable {
    /// Position in this process's log, counting from 1; later lines have larger numbers.
    var sequence: Int
    var timestamp: Date
    var level: Logger.Level
    /// The logger's label (`hyperion`, `hyperion.redis`, …).
    var logger: String
    var message: String
    var requestID: String?
    var userID: String?
    /// The trace the line was logged in (a request's or a job's), when tracing is on or the caller sent one.
    var traceID: String?
    /// Every other metadata value, as text.
    var metadata: [String: String]
}

/// Which lines a reader wants; every field left nil matches everything.
struct LogFilter: Sendable {
    /// The least severe level wanted (`warning` also returns `error` and `critical`).
    var minimumLevel: Logger.Level?
    /// The logger's label, or a prefix of it followed by `.`: `hyperion` matches `hyperion.redis` too.
    var logger: String?
    var since: Date?
    var until: Date?
    var requestID: String?
    var userID: String?
    var traceID: String?
    /// Metadata every line must carry with these values (e.g. a job's `job_id`).
    var metadata: [String: String] = [:]

    func matches(_ record: LogRecord) -> Bool {
        if let minimumLevel, record.level < minimumLevel { return false }
        if let logger, record.logger != logger, !record.logger.hasPrefix(logger + ".") { return false }
        if let since, record.timestamp < since { return false }
        if let until, record.timestamp > until { return false }
        if let requestID, record.requestID != requestID { return false }
        if let userID, record.userID != userID { return false }
        if let traceID, record.traceID != traceID { return false }
        return metadata.allSatisfy { record.metadata[$0.key] == $0.value }
    }
}

/// The last `capacity` log lines of this process, in memory, for `GET /api/v1/logs` and its live tail. Appending is
/// a lock and an array write; a follower that reads too slowly loses its oldest undelivered lines rather than
/// holding memory or slowing the logger.
final class LogRing: Sendable {
    private struct State {
        var lines: [LogRecord] = []
        /// Where the next line goes once `lines` is full.
        var next = 0
        var sequence = 0
        var followers: [Int: AsyncStream<LogRecord>.Continuation] = [:]
        var followerID = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    /// A ring keeping `capacity` lines (at least 1).
    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Keeps `record` (its sequence number is assigned here) and hands it to every follower.
    func append(_ record: LogRecord) {
        state.withLock { state in
            var record = record
            state.sequence += 1
            record.sequence = state.sequence
            if state.lines.count < capacity {
                state.lines.append(record)
            } else {
                state.lines[state.next] = record
                state.next = (state.next + 1) % capacity
            }
            for follower in state.followers.values { follower.yield(record) }
        }
    }

    /// The lines matching `filter`, newest first: `total` of them in the ring, `limit` from `skip`.
    func lines(_ filter: LogFilter, skip: Int, limit: Int) -> (items: [LogRecord], total: Int) {
        let all = state.withLock { state in Array(state.lines[state.next...] + state.lines[..<state.next]) }
        let matching = all.reversed().filter(filter.matches)
        return (Array(matching.dropFirst(skip).prefix(limit)), matching.count)
    }

    /// Lines as they are logged from now on; the stream ends when its reader goes away.
    func follow(buffer: Int = 1000) -> AsyncStream<LogRecord> {
        let (stream, continuation) = AsyncStream.makeStream(of: LogRecord.self, bufferingPolicy: .bufferingNewest(buffer))
        let id = state.withLock { state in
            state.followerID += 1
            state.followers[state.followerID] = continuation
            return state.followerID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.followers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Readers following right now.
    var followerCount: Int { state.withLock { $0.followers.count } }
}
