/// A status other than success, read the way Milvus 2.3 writes them: its `code` (the newer error codes), the older
/// `error_code`, and the reason text where neither is specific.
struct MilvusFailure: CustomStringConvertible {
    let code: Int32
    let errorCode: Milvus_Proto_Common_ErrorCode
    let reason: String
    let retriable: Bool

    /// `nil` when the status says success.
    init?(_ status: Milvus_Proto_Common_Status) {
        guard status.code != 0 || status.errorCode != .success else { return nil }
        code = status.code
        errorCode = status.errorCode
        reason = status.reason
        retriable = status.retriable
    }

    /// Milvus's code 100 (collection not found).
    var collectionMissing: Bool {
        code == 100 || errorCode == .collectionNotExists || reason.contains("collection not found") || reason.contains("can't find collection")
    }

    /// Code 101 (collection not loaded).
    var notLoaded: Bool { code == 101 || reason.contains("not loaded") }

    var alreadyExists: Bool { reason.contains("already exist") }

    /// Codes 1–99 are the service's own state (not ready, rate or memory limits, internal errors): worth a retry.
    var transient: Bool {
        retriable || (1..<100).contains(code) || [.rateLimit, .forceDeny, .notReadyServe, .notReadyCoordActivating].contains(errorCode)
    }

    var description: String { "\(reason) (code \(code), \(errorCode))" }
}
