import Foundation
import HyperionCore

/// ISO 8601 (UTC, fractional seconds) for every timestamp the API returns.
func iso8601(_ date: Date) -> String {
    date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
}

/// Parses an ISO 8601 timestamp from input, naming the field when it is not one.
func parseTimestamp(_ text: String, field: String) throws -> Date {
    if let date = try? Date(text, strategy: .iso8601) { return date }
    if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
    throw HyperionError.invalid(field, "must be an ISO 8601 timestamp such as 2030-01-31T12:00:00Z")
}
