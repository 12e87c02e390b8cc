import Configuration
import HyperionCore

/// swift-configuration's non-throwing getters turn a bad value into `nil`, which would silently fall
/// back to the default. These getters make a present-but-invalid value stop start-up, naming the key.
extension ConfigReader {
    /// An integer in `range`, or `defaultValue` when the key is absent.
    public func strictInt(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        if let number = int(forKey: ConfigKey(key)) {
            guard range.contains(number) else {
                throw HyperionError.invalid(key, "must be from \(range.lowerBound) to \(range.upperBound), got \(number)")
            }
            return number
        }
        guard let raw = string(forKey: ConfigKey(key)) else { return defaultValue }
        guard let number = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
            throw HyperionError.invalid(key, "must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(raw.prefix(60))'")
        }
        return number
    }

    /// A boolean (`true/false/1/0/yes/no`), or `defaultValue` when absent.
    public func strictBool(_ key: String, default defaultValue: Bool) throws -> Bool {
        if let value = bool(forKey: ConfigKey(key)) { return value }
        guard let raw = string(forKey: ConfigKey(key)) else { return defaultValue }
        switch raw.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw HyperionError.invalid(key, "must be true or false, got '\(raw.prefix(60))'")
        }
    }

    /// One of `allowed` (case-insensitive), or `defaultValue` when absent.
    public func strictChoice(_ key: String, default defaultValue: String, allowed: [String]) throws -> String {
        guard let raw = string(forKey: ConfigKey(key)) else { return defaultValue }
        let value = raw.lowercased()
        guard allowed.contains(value) else {
            throw HyperionError.invalid(key, "must be one of \(allowed.joined(separator: ", ")), got '\(raw.prefix(60))'")
        }
        return value
    }

    /// A non-empty string, or `defaultValue` when absent.
    public func strictString(_ key: String, default defaultValue: String, isSecret: Bool = false) throws -> String {
        guard let raw = string(forKey: ConfigKey(key), isSecret: isSecret) else { return defaultValue }
        guard !raw.trimmingCharacters(in: .whitespaces).isEmpty else { throw HyperionError.invalid(key, "must not be empty") }
        return raw
    }

    /// A list given as an array or as a comma-separated string; empty when absent.
    public func stringList(_ key: String) -> [String] {
        if let list = stringArray(forKey: ConfigKey(key)) { return list.filter { !$0.isEmpty } }
        guard let raw = string(forKey: ConfigKey(key)) else { return [] }
        return raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
