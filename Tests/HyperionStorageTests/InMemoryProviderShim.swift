import Configuration

/// Builds an in-memory provider from plain string pairs.
enum InMemoryProviderShim {
    static func make(_ values: [String: String]) -> InMemoryProvider {
        InMemoryProvider(values: Dictionary(uniqueKeysWithValues: values.map {
            (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), ConfigValue(.string($0.value), isSecret: false))
        }))
    }
}
