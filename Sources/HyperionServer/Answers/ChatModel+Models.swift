import HyperionCore

extension ChatModel {
    /// The models the provider lists, or why not, within `timeout`: a provider slower than that is reported as not
    /// answering, and its request is cancelled.
    func models(within timeout: Duration) async -> Result<[String], any Error> {
        await withTaskGroup(of: Result<[String], any Error>?.self) { race in
            race.addTask { do { return .success(try await availableModels()) } catch { return .failure(error) } }
            race.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .failure(HyperionError(.upstreamTimeout, code: "provider_timeout", message: "no answer within \(timeout.components.seconds) s"))
            }
            let first = await race.next() ?? nil
            race.cancelAll()
            return first ?? .failure(HyperionError(.upstreamTimeout, code: "provider_timeout", message: "no answer"))
        }
    }
}

extension Error {
    /// What a person reads: a provider's or Hyperion's own message, else the error's description.
    var readableMessage: String { (self as? ProviderError)?.message ?? (self as? HyperionError)?.message ?? "\(self)" }
}
