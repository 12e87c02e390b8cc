import Foundation
import Hummingbird
import HTTPTypes
import HyperionCore
import HyperionStorage
import Mustache

/// The web UI at `/` and `/ui/…`: pages rendered from Mustache templates (every value escaped), and the
/// small JavaScript modules and stylesheet they load. Pages carry no data of their own: the scripts call
/// the JSON API with the user's token, so the UI can do nothing the API would not allow.
struct WebUIController {
    let auth: AuthService
    let signupEnabled: Bool
    let library: MustacheLibrary
    let assets: [String: (type: String, data: ByteBuffer)]

    /// Stricter than the API's default: no inline styles either.
    static let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    /// Loads the templates and assets shipped with the server.
    init(auth: AuthService, signupEnabled: Bool) throws {
        self.auth = auth
        self.signupEnabled = signupEnabled
        // `.copy("UI/Resources")` puts the folder at the root of the target's resource bundle.
        let root = Bundle.module.bundleURL.appendingPathComponent("Resources")
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("templates").path) else {
            throw HyperionError(.unavailable, code: "ui_missing", message: "the web UI's files are missing from the installation")
        }
        var library = MustacheLibrary()
        let templates = root.appendingPathComponent("templates")
        for name in try FileManager.default.contentsOfDirectory(atPath: templates.path) where name.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        self.library = library
        var assets: [String: (String, ByteBuffer)] = [:]
        let folder = root.appendingPathComponent("assets")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let type = name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : name.hasSuffix(".css") ? "text/css; charset=utf-8" : nil
            guard let type else { continue }
            assets[name] = (type, ByteBuffer(data: try Data(contentsOf: folder.appendingPathComponent(name))))
        }
        self.assets = assets
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/ui/"]) }
        // "/ui" and "/ui/" are one route to the router.
        router.get("/ui") { _, _ in page(["title": "Knowledge bases", "page": "models", "script": "models", "models": true, "navModels": true]) }
        router.get("/ui/login") { _, _ in
            let firstRun = try await auth.isFirstRun()
            return page(["title": "Sign in", "page": "login", "script": "login", "login": true, "public": true,
                         "firstRun": firstRun, "signupEnabled": signupEnabled])
        }
        router.get("/ui/chat") { _, _ in page(["title": "Chat", "page": "chat", "script": "chat", "chat": true, "navChat": true]) }
        router.get("/ui/history") { _, _ in page(["title": "History", "page": "history", "script": "history", "history": true, "navHistory": true]) }
        router.get("/ui/keys") { _, _ in page(["title": "API keys", "page": "keys", "script": "keys", "keys": true, "navKeys": true]) }
        router.get("/ui/admin") { _, _ in page(["title": "Administration", "page": "admin", "script": "admin", "admin": true, "navAdmin": true]) }
        router.get("/ui/account") { _, _ in page(["title": "Account", "page": "account", "script": "account", "account": true, "navAccount": true]) }
        router.get("/ui/models/:id") { _, context in
            guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { return notFound() }
            return page(["title": "Knowledge base", "page": "model", "script": "model", "model": true, "navModels": true,
                         "modelID": id.lowercasedString])
        }
        router.get("/ui/assets/:name") { _, context in
            guard let name = context.parameters.get("name"), let asset = assets[name] else { throw HyperionError.notFound("asset") }
            return Response(status: .ok, headers: [.contentType: asset.type, .cacheControl: "no-cache"], body: .init(byteBuffer: asset.data))
        }
        // Any other address under /ui is a page of the UI that does not exist: the UI's own 404, not the API's JSON.
        router.get("/ui/**") { _, _ in notFound() }
    }

    private func notFound() -> Response {
        page(["title": "Page not found", "page": "not-found", "notFound": true, "public": true], status: .notFound)
    }

    private func page(_ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(values, withTemplate: "page") ?? ""
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: Self.csp, .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
