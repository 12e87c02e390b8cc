import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import HyperionServer
import Testing

@Suite("Web UI pages")
struct WebUITests {
    @Test("pages are HTML with a strict CSP; the first-run page offers the admin account; assets are served")
    func pages() async throws {
        try await withTestApp { client in
            let root = try await client.execute(uri: "/", method: .get) { ($0.status, $0.headers[.location]) }
            #expect(root.0 == .seeOther && root.1 == "/ui/")
            let login = try await client.execute(uri: "/ui/login", method: .get) { ($0.status, $0.headers, String(buffer: $0.body)) }
            #expect(login.0 == .ok && login.1[.contentType]?.hasPrefix("text/html") == true)
            #expect(login.1[.contentSecurityPolicy]?.contains("unsafe-inline") == false)
            #expect(login.2.contains("Create the admin account") && !login.2.contains("<script>") && login.2.contains("/ui/assets/login.js"))
            try await client.signup("first@example.com")
            let again = try await client.execute(uri: "/ui/login", method: .get) { String(buffer: $0.body) }
            #expect(again.contains(">Sign in<") && !again.contains("Create the admin account"))
            for page in ["/ui/", "/ui/chat", "/ui/history", "/ui/keys", "/ui/admin", "/ui/account", "/ui/models/\(UUID().uuidString)"] {
                #expect(try await client.execute(uri: page, method: .get) { $0.status } == .ok, "\(page)")
            }
            // Any other address under /ui is the UI's own 404 page (HTML, same CSP), never the API's JSON.
            for missing in ["/ui/models/not-an-id", "/ui/nothing-here", "/ui/a/b/c"] {
                let page = try await client.execute(uri: missing, method: .get) { ($0.status, $0.headers, String(buffer: $0.body)) }
                #expect(page.0 == .notFound && page.1[.contentType]?.hasPrefix("text/html") == true, "\(missing)")
                #expect(page.2.contains("Page not found") && page.1[.contentSecurityPolicy] == WebUIController.csp, "\(missing)")
            }
            let script = try await client.execute(uri: "/ui/assets/chat.js", method: .get) { ($0.status, $0.headers[.contentType]) }
            #expect(script.0 == .ok && script.1?.hasPrefix("text/javascript") == true)
            #expect(try await client.execute(uri: "/ui/assets/../Package.swift", method: .get) { $0.status } == .notFound)
            #expect(try await client.execute(uri: "/ui/assets/page.mustache", method: .get) { $0.status } == .notFound)
        }
    }
}
