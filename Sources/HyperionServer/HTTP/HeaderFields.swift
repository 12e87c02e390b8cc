import HTTPTypes

extension HTTPFields {
    /// The value of `name`: the field's own string when it appears once, and the subscript's joined form
    /// when it repeats. The subscript joins through a lazy sequence even for a single field, which
    /// allocated on every request for each header the middleware reads.
    func value(_ name: HTTPField.Name) -> String? {
        guard let first = firstIndex(where: { $0.name == name }) else { return nil }
        if self[index(after: first)...].contains(where: { $0.name == name }) { return self[name] }
        return self[first].value
    }

    /// Sets `field`, replacing any of its name. A field built once (a constant) is appended as it is when
    /// the name is absent, the usual case, so its value is not validated again on every response.
    mutating func set(_ field: HTTPField) {
        if contains(field.name) {
            self[field.name] = field.value
        } else {
            append(field)
        }
    }
}
