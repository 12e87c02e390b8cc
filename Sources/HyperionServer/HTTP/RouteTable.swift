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

    private let templates = NIOLockedValueBox<[Template]>([])

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
        templates.withLockedValue { $0 = sorted }
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
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return templates.withLockedValue { templates in
            for template in templates where template.segments.count == parts.count {
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
