/// What a text is embedded for; some models embed queries and documents differently.
public enum EmbeddingPurpose: String, Sendable { case query, document }
/// Turns texts into fixed-size vectors.
public protocol Embedder: Sendable {
    /// Identifier of the model, e.g. "all-MiniLM-L6-v2".
    var modelID: String { get }
    /// Number of dimensions of every vector.
    var dimension: Int { get }
    /// Embeds `texts`, one vector per text, in order.
    func embed(_ texts: [String], purpose: EmbeddingPurpose) async throws -> [[Float]]
}
