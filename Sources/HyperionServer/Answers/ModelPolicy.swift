import HyperionCore

/// Which LLM model names a caller may ask of a provider. The operator's key pays for every call, so a plain
/// user gets the provider's default model (`llm.<name>.model`) and the names in `llm.<name>.allowed_models`
/// (`*` allows any); admins may name any model.
struct ModelPolicy: Sendable {
    struct Provider: Sendable {
        var defaultModel: String?
        var allowed: Set<String>
    }

    let providers: [String: Provider]
    let defaultProvider: String?

    init(providers: [String: any ChatModel], allowedModels: [String: Set<String>], defaultProvider: String?) {
        self.providers = Dictionary(uniqueKeysWithValues: providers.map { name, model in
            (name, Provider(defaultModel: model.defaultModel, allowed: allowedModels[name] ?? []))
        })
        self.defaultProvider = defaultProvider
    }

    /// Throws 403 `model_not_allowed` (naming what is allowed) when `role` may not ask `provider` (nil: the default
    /// provider) for `model` (nil: the provider's default).
    func check(model: String?, provider: String?, role: Role, field: String = "model") throws {
        guard role != .admin, let model, let name = provider ?? defaultProvider, name != AnswerSettings.extractive,
              let entry = providers[name] else { return }
        if model == entry.defaultModel || entry.allowed.contains("*") || entry.allowed.contains(model) { return }
        let allowed = ([entry.defaultModel].compactMap { $0 } + entry.allowed.sorted()).map { "'\($0)'" }
        throw HyperionError(.forbidden, code: "model_not_allowed", message: """
            the model '\(model.prefix(100))' of provider '\(name)' is not allowed for your account; \
            \(allowed.isEmpty ? "leave it unset to use the provider's default" : "allowed: \(allowed.joined(separator: ", "))")
            """, field: field)
    }
}
