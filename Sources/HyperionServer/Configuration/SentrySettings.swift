import Configuration
import Foundation
import HyperionCore

/// Where errors are reported: a Sentry DSN, and what every event says about this server.
///
/// Keys: `sentry.dsn`, `sentry.environment`, `sentry.release`, `sentry.max_events_per_minute`, `sentry.send_email`.
public struct SentrySettings: Sendable {
    /// A parsed DSN: `https://<public key>@<host>[:port][/path]/<project id>`.
    public struct DSN: Sendable, Equatable {
        public var publicKey: String
        public var projectID: String
        /// `…/api/<project id>/envelope/`, where events are posted.
        public var envelopeURL: URL
        /// The DSN as configured (it goes in each envelope's header, as Sentry's SDKs send it).
        public var text: String

        /// Parses `text`; throws a reason (without the key) when it is not a DSN.
        public init(_ text: String) throws {
            guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme) else {
                throw HyperionError.invalid("sentry.dsn", "must be https://<public key>@<host>/<project id> (or http://)")
            }
            guard let key = components.user, !key.isEmpty else { throw HyperionError.invalid("sentry.dsn", "names no public key (https://<key>@…)") }
            guard let host = components.host, !host.isEmpty else { throw HyperionError.invalid("sentry.dsn", "names no host") }
            var parts = components.path.split(separator: "/").map(String.init)
            guard let project = parts.popLast(), !project.isEmpty, project.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw HyperionError.invalid("sentry.dsn", "ends in no project id (…/<project id>)")
            }
            var endpoint = URLComponents()
            endpoint.scheme = scheme
            endpoint.host = host
            endpoint.port = components.port
            endpoint.path = "/" + (parts + ["api", project, "envelope"]).joined(separator: "/") + "/"
            guard let url = endpoint.url else { throw HyperionError.invalid("sentry.dsn", "is not a usable address") }
            publicKey = key
            projectID = project
            envelopeURL = url
            self.text = text
        }
    }

    /// Where events go; nil reports nothing.
    public var dsn: DSN?
    public var environment: String
    public var release: String
    /// Events sent at most per minute; more are dropped (and counted).
    public var maxEventsPerMinute: Int
    /// Whether events carry the user's e-mail beside the id.
    public var sendEmail: Bool

    /// Reads the keys.
    public init(reader: ConfigReader) throws {
        let text = reader.string(forKey: "sentry.dsn", isSecret: true)?.trimmingCharacters(in: .whitespaces) ?? ""
        dsn = text.isEmpty ? nil : try DSN(text)
        environment = try Setting.sentryEnvironment.read(reader)
        let release = try Setting.sentryRelease.read(reader)
        self.release = release.isEmpty ? "hyperion@\(hyperionVersion)" : release
        maxEventsPerMinute = try Setting.sentryMaxEventsPerMinute.read(reader)
        sendEmail = try Setting.sentrySendEmail.read(reader)
    }
}
