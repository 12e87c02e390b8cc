import Foundation
import Hummingbird

/// Serves `/openapi.json` and Swagger UI at `/docs`. Swagger UI's files are fetched at setup
/// (`make assets`) into `<data_dir>/assets/swagger-ui`; they are never committed.
struct DocsController {
    let documentJSON: Data
    let assetsDirectory: URL

    /// Files Swagger UI needs; nothing else under the folder is served.
    static let assetTypes: [String: String] = [
        "swagger-ui.css": "text/css; charset=utf-8",
        "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
        "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
        "oauth2-redirect.html": "text/html; charset=utf-8",
        "oauth2-redirect.js": "text/javascript; charset=utf-8",
    ]

    /// Our own start-up script (the CSP forbids inline scripts).
    static let initializer = """
        window.addEventListener("load", function () {
          window.ui = SwaggerUIBundle({
            url: "/openapi.json",
            dom_id: "#swagger-ui",
            deepLinking: true,
            presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
            layout: "StandaloneLayout",
            oauth2RedirectUrl: window.location.origin + "/docs/oauth2-redirect.html"
          });
        });
        """

    static let page = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Hyperion API</title>
          <link rel="stylesheet" href="/docs/swagger-ui.css">
        </head>
        <body>
          <div id="swagger-ui"></div>
          <script src="/docs/swagger-ui-bundle.js"></script>
          <script src="/docs/swagger-ui-standalone-preset.js"></script>
          <script src="/docs/swagger-initializer.js"></script>
        </body>
        </html>
        """

    func addRoutes(to router: Router<AppRequestContext>) {
        let document = ByteBuffer(bytes: documentJSON)
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: document))
        }
        router.get("/docs") { _, _ in
            guard FileManager.default.fileExists(atPath: assetsDirectory.appendingPathComponent("swagger-ui-bundle.js").path) else {
                throw APIError(
                    .serviceUnavailable, code: "docs_assets_missing",
                    detail: "Swagger UI files are missing from \(assetsDirectory.lastPathComponent); run 'make assets'. The document itself is at /openapi.json"
                )
            }
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: SecurityHeadersMiddleware.docsCSP],
                body: .init(byteBuffer: ByteBuffer(string: Self.page))
            )
        }
        router.get("/docs/:file") { _, context in
            let file = try context.parameters.require("file")
            if file == "swagger-initializer.js" {
                return Response(
                    status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: Self.initializer))
                )
            }
            guard let type = Self.assetTypes[file],
                  let data = FileManager.default.contents(atPath: assetsDirectory.appendingPathComponent(file).path)
            else { throw APIError(.notFound, code: "not_found", detail: "no such documentation file") }
            return Response(
                status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=86400"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
    }
}
