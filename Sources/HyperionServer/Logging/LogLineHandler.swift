import Foundation
import HyperionCore
import Logging
import NIOConcurrencyHelpers
import OTel
import Tracing

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler writing one line per event to stdout: JSON lines for machines, or readable
/// text for a terminal, and into the in-memory ``LogRing`` behind the logs API when there is one. Metadata keys that
/// could carry credentials are redacted on the way out.
public struct LogLineHandler: LogHandler {
    /// Output style.
    public enum Format: Sendable { case json, text }

    /// Metadata keys whose values are never written.
    static let redactedKeys: Set<String> = [
        "password", "new_password", "current_password", "token", "access_token", "refresh_token",
        "authorization", "api_key", "secret", "database.url", "cookie",
    ]

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let format: Format
    let sink: LogSink
    let ring: LogRing?

    /// Creates a handler writing to `sink` (and keeping lines in `ring`).
    init(label: String, level: Logger.Level, format: Format, sink: LogSink = .stdout, ring: LogRing? = nil) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
        self.ring = ring
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        // Hummingbird tags every line with its own request id; ours is `request_id`.
        merged.removeValue(forKey: "hb.request.id")
        merged.removeValue(forKey: "hb_id")
        let request = RequestTrace.current
        if merged["request_id"] == nil, let request {
            merged["request_id"] = .string(request.requestID)
            if let user = request.identity?.user.id { merged["user_id"] = .string(user.lowercasedString) }
        }
        // A traced request's or job's own trace; else the one a caller's traceparent named (tracing off).
        if merged["trace_id"] == nil, let trace = ServiceContext.current?.otelTraceID ?? request?.traceID { merged["trace_id"] = .string(trace) }
        let line: String
        switch format {
        case .json: line = jsonLine(level: event.level, message: "\(event.message)", metadata: merged)
        case .text: line = textLine(level: event.level, message: "\(event.message)", metadata: merged)
        }
        sink.write(line + "\n")
        if let ring { ring.append(record(level: event.level, message: "\(event.message)", metadata: merged)) }
    }

    private func record(level: Logger.Level, message: String, metadata: Logger.Metadata) -> LogRecord {
        var fields: [String: String] = [:]
        for (key, value) in metadata where key != "request_id" && key != "user_id" && key != "trace_id" {
            fields[key] = Self.redactedKeys.contains(key) ? "***" : "\(value)"
        }
        return LogRecord(sequence: 0, timestamp: Date(), level: level, logger: label, message: message,
                         requestID: metadata["request_id"].map { "\($0)" }, userID: metadata["user_id"].map { "\($0)" },
                         traceID: metadata["trace_id"].map { "\($0)" }, metadata: fields)
    }

    private func jsonLine(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var object: [String: Any] = [
            "timestamp": LogLineHandler.timestamp(),
            "level": level.rawValue,
            "message": message,
            "logger": label,
        ]
        for (key, value) in metadata { object[key] = Self.redactedKeys.contains(key) ? "***" : Self.jsonValue(value) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
              let text = String(data: data, encoding: .utf8)
        else { return "{\"level\":\"error\",\"message\":\"unencodable log line\"}" }
        return text
    }

    private func textLine(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        let fields = metadata.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(Self.redactedKeys.contains($0.key) ? "***" : "\($0.value)")" }
            .joined(separator: " ")
        return "\(LogLineHandler.timestamp()) \(level.rawValue.uppercased()) \(message)\(fields.isEmpty ? "" : " " + fields)"
    }

    static func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible):
            if let number = convertible as? Int { return number }
            if let number = convertible as? Double { return number }
            return convertible.description
        case .array(let values): return values.map(jsonValue)
        case .dictionary(let values): return values.mapValues(jsonValue)
        }
    }

    static func timestamp() -> String {
        iso8601(Date())
    }
}

/// Where log lines go. Writes are whole lines under a lock so concurrent requests never interleave.
public final class LogSink: Sendable {
    private let lock = NIOLock()
    private let fd: Int32
    private let capture: NIOLockedValueBox<[String]>?

    /// Standard output.
    public static let stdout = LogSink(fd: 1)

    init(fd: Int32) {
        self.fd = fd
        self.capture = nil
    }

    /// A sink that keeps lines in memory (tests read them back with ``lines``).
    public init(capturing: Void = ()) {
        self.fd = -1
        self.capture = NIOLockedValueBox([])
    }

    /// Captured lines (memory sinks only).
    public var lines: [String] { capture?.withLockedValue { $0 } ?? [] }

    func write(_ line: String) {
        if let capture {
            capture.withLockedValue { $0.append(line) }
            return
        }
        lock.withLock {
            var bytes = Array(line.utf8)
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
    }
}

extension LogLineHandler.Format {
    /// Resolves `auto`: JSON unless stdout is a terminal.
    public static func resolve(_ setting: String) -> LogLineHandler.Format {
        switch setting {
        case "json": return .json
        case "text": return .text
        default: return isatty(1) == 1 ? .text : .json
        }
    }
}
