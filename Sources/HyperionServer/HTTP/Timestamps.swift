import Foundation
import HyperionCore

/// ISO 8601 (UTC, milliseconds) for every timestamp the API returns: `2026-11-26T08:30:12.345Z`.
///
/// Written out by hand: Foundation's `ISO8601FormatStyle` took a visible share of a small JSON response's time.
/// The result equals `date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)
/// .timeZone(separator: .omitted))` (milliseconds truncated, not rounded), checked against it in the tests.
func iso8601(_ date: Date) -> String {
    let interval = date.timeIntervalSince1970
    guard interval.isFinite, abs(interval) < 1e14 else { return iso8601Foundation(date) }
    let seconds = interval.rounded(.down)
    let milliseconds = min(999, Int(((interval - seconds) * 1000).rounded(.down)))
    let whole = Int(seconds)
    var days = whole / 86_400
    var secondOfDay = whole % 86_400
    if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
    // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
    let shifted = days + 719_468
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    // Foundation switches to the Julian calendar before the Gregorian reform of 1582; leave those dates to it.
    guard (1583...9999).contains(year) else { return iso8601Foundation(date) }

    return String(unsafeUninitializedCapacity: 24) { buffer in
        func put(_ value: Int, digits: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, digits: 4, at: 0)
        buffer[4] = UInt8(ascii: "-")
        put(month, digits: 2, at: 5)
        buffer[7] = UInt8(ascii: "-")
        put(day, digits: 2, at: 8)
        buffer[10] = UInt8(ascii: "T")
        put(secondOfDay / 3600, digits: 2, at: 11)
        buffer[13] = UInt8(ascii: ":")
        put(secondOfDay / 60 % 60, digits: 2, at: 14)
        buffer[16] = UInt8(ascii: ":")
        put(secondOfDay % 60, digits: 2, at: 17)
        buffer[19] = UInt8(ascii: ".")
        put(milliseconds, digits: 3, at: 20)
        buffer[23] = UInt8(ascii: "Z")
        return 24
    }
}

/// Foundation's formatting of the same shape, for dates outside years 1583–9999 (and for the tests).
func iso8601Foundation(_ date: Date) -> String {
    date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
}

/// Parses an ISO 8601 timestamp from input, naming the field when it is not one.
func parseTimestamp(_ text: String, field: String) throws -> Date {
    if let date = try? Date(text, strategy: .iso8601) { return date }
    if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
    throw HyperionError.invalid(field, "must be an ISO 8601 timestamp such as 2030-01-31T12:00:00Z")
}
