import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// The registered routes in OpenAPI form (`/api/v1/query/{id}`), filled in once the router is complete.
///
/// Middleware runs before Hummingbird resolves a route, so metrics need the template up front, and a
/// path that exists under another method must answer 405 rather than Hummingbird's 404.
public final class RouteTable: Sendable {
    struct Template: Sendable {
        let path: String
        let segments: [Substring?]  // nil marks a parameter
        var methods: Set<HTTPRequest.Method>
    }

    private struct Snapshot {
        var literal: [String: Template] = [:]  // paths without parameters, looked up directly
        var parameterised: [Template] = []
    }
    private let snapshot = NIOLockedValueBox(Snapshot())

    /// Creates an empty table.
    public init() {}

    /// Replaces the table with the router's routes.
    public func load<Context>(from router: Router<Context>) {
        var byPath: [String: Template] = [:]
        for route in router.routes {
            let path = Self.openAPIPath(route.path.description)
            let segments = path.split(separator: "/").map { $0.hasPrefix("{") ? nil : $0 }
            byPath[path, default: Template(path: path, segments: segments, methods: [])].methods.insert(route.method)
        }
        // Literal segments win over parameters, as in Hummingbird's trie.
        let sorted = byPath.values.sorted { $0.segments.filter { $0 == nil }.count < $1.segments.filter { $0 == nil }.count }
        var next = Snapshot()
        for template in sorted {
            if template.segments.contains(where: { $0 == nil }) { next.parameterised.append(template) } else { next.literal[template.path] = template }
        }
        snapshot.withLockedValue { $0 = next }
    }

    /// `/a/:id/b` (or `/a/{id}/b`) → `/a/{id}/b`.
    public static func openAPIPath(_ path: String) -> String {
        let parts = path.split(separator: "/").map { part -> String in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The template matching `path` and the methods it allows, if any route matches.
    public func match(_ path: String) -> (template: String, methods: Set<HTTPRequest.Method>)? {
        snapshot.withLockedValue { snapshot in
            if let literal = snapshot.literal[path] { return (literal.path, literal.methods) }
            let parts = path.split(separator: "/", omittingEmptySubsequences: true)
            if parts.count > 0, let literal = snapshot.literal["/" + parts.joined(separator: "/")] { return (literal.path, literal.methods) }
            for template in snapshot.parameterised where template.segments.count == parts.count {
                var ok = true
                for (segment, part) in zip(template.segments, parts) where segment != nil && segment! != part {
                    ok = false
                    break
                }
                if ok { return (template.path, template.methods) }
            }
            return nil
        }
    }
}
