import Foundation
import HyperionCore

/// One error report in Sentry's event format (the subset Hyperion fills in), and its envelope.
struct SentryEvent: Sendable {
    /// One log line of the request, before the error.
    struct Breadcrumb: Sendable {
        var timestamp: Date
        var category: String
        var message: String
        var level: String
        var data: [String: String]
    }

    var eventID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    var timestamp = Date()
    var level = "error"
    /// The error's type (`exception.values[0].type`) and what it says.
    var type: String
    var value: String
    /// How it was caught: `http` (a 500), `job` (a failed job).
    var mechanism: String
    var handled = false
    var tags: [String: String] = [:]
    var userID: String?
    var userEmail: String?
    /// The request's method and URL without its query (which may carry secrets).
    var method: String?
    var url: String?
    var breadcrumbs: [Breadcrumb] = []
    var extra: [String: String] = [:]
    /// The W3C trace and span the error happened in (`contexts.trace`, as Sentry's SDKs send it).
    var traceID: String?
    var spanID: String?

    /// The event as Sentry's JSON, with what the reporter adds to every event.
    func json(release: String, environment: String, serverName: String) -> [String: Any] {
        var event: [String: Any] = [
            "event_id": eventID, "timestamp": Self.time(timestamp), "platform": "other", "level": level, "logger": "hyperion",
            "release": release, "environment": environment, "server_name": serverName,
            "exception": ["values": [["type": type, "value": value, "mechanism": ["type": mechanism, "handled": handled]]]],
            "tags": tags,
            "contexts": ["runtime": ["name": "swift", "version": Self.swiftVersion], "os": ["name": "Linux"]],
            "sdk": ["name": "hyperion.sentry", "version": hyperionVersion],
        ]
        if let userID {
            var user: [String: Any] = ["id": userID]
            if let userEmail { user["email"] = userEmail }
            event["user"] = user
        }
        if let method, let url { event["request"] = ["method": method, "url": url] }
        if !breadcrumbs.isEmpty {
            event["breadcrumbs"] = ["values": breadcrumbs.map {
                ["timestamp": Self.time($0.timestamp), "category": $0.category, "message": $0.message, "level": $0.level, "data": $0.data, "type": "default"]
            }]
        }
        if !extra.isEmpty { event["extra"] = extra }
        if let traceID {
            var contexts = event["contexts"] as? [String: Any] ?? [:]
            contexts["trace"] = ["trace_id": traceID, "span_id": spanID ?? String(eventID.prefix(16)), "type": "trace"]
            event["contexts"] = contexts
        }
        return event
    }

    /// The envelope body: its header, the item header and the event, one JSON document per line.
    func envelope(dsn: String, release: String, environment: String, serverName: String, sentAt: Date = Date()) -> Data {
        let payload = (try? JSONSerialization.data(withJSONObject: json(release: release, environment: environment, serverName: serverName),
                                                   options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        let header: [String: Any] = ["event_id": eventID, "sent_at": Self.time(sentAt), "dsn": dsn]
        let item: [String: Any] = ["type": "event", "content_type": "application/json", "length": payload.count]
        var body = Data()
        for part in [header, item] {
            body.append((try? JSONSerialization.data(withJSONObject: part, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
            body.append(0x0A)
        }
        body.append(payload)
        body.append(0x0A)
        return body
    }

    static func time(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static let swiftVersion: String = {
        #if swift(>=6.3)
        "6.3"
        #else
        "6"
        #endif
    }()
}

extension SentryEvent {
    /// The trace and span ids of the current span, read from the `traceparent` it would send onwards.
    static func currentTrace() -> (String?, String?) {
        guard let header = Spans.traceParent(), let ids = RequestTrace.ids(ofTraceparent: header) else { return (nil, nil) }
        return (ids.traceID, ids.parentID)
    }
}
