import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionServer
import Prometheus
import Testing

@Suite("HTTP basics: envelope, request ids, headers, limits")
struct HTTPBasicsTests {
    @Test("GET /health answers ok with the version, and /ready is 200 with its checks")
    func healthAndReady() async throws {
        try await withTestApp { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["status"] as? String == "ok")
                #expect(response.body.json["version"] as? String == hyperionVersion)
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["checks"] as? [String: String] == ["store": "ok", "migrations": "ok"])
            }
        }
    }

    @Test("an unknown route is a 404 envelope carrying the request id")
    func unknownRoute() async throws {
        try await withTestApp { client in
            try await client.execute(uri: "/nope", method: .get, headers: [HTTPField.Name("X-Request-ID")!: "req-1"]) { response in
                #expect(response.status == .notFound)
                let body = response.body.json
                #expect(body["code"] as? String == "not_found")
                #expect(body["request_id"] as? String == "req-1")
                #expect(body["detail"] is String && body["timestamp"] is String)
                #expect(response.headers[HTTPField.Name("X-Request-ID")!] == "req-1")
            }
        }
    }

    @Test("a known path with the wrong method is 405 with Allow")
    func wrongMethod() async throws {
        try await withTestApp { client in
            try await client.execute(uri: "/ready", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
                #expect(response.body.json["code"] as? String == "method_not_allowed")
            }
            try await client.execute(uri: "/docs/anything", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
            }
        }
    }

    @Test("unacceptable request ids are replaced by generated ones", arguments: ["has space", String(repeating: "a", count: 129), "semi;colon", "ümlaut"])
    func requestIDReplaced(id: String) async throws {
        try await withTestApp { client in
            var headers = HTTPFields()
            headers.append(HTTPField(name: HTTPField.Name("X-Request-ID")!, value: id))
            try await client.execute(uri: "/health", method: .get, headers: headers) { response in
                let echoed = response.headers[HTTPField.Name("X-Request-ID")!]
                #expect(echoed != nil && echoed != id)
                #expect((echoed ?? "").count <= 128)
            }
        }
    }

    @Test("a 128-character id of the allowed alphabet is kept")
    func requestIDKept() async throws {
        let id = String(repeating: "aZ0._-", count: 21) + "xy"
        try await withTestApp { client in
            try await client.execute(uri: "/health", method: .get, headers: [HTTPField.Name("X-Request-ID")!: id]) { response in
                #expect(response.headers[HTTPField.Name("X-Request-ID")!] == id)
            }
        }
    }

    @Test("responses carry the security headers, errors included")
    func securityHeaders() async throws {
        try await withTestApp { client in
            for uri in ["/health", "/missing"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.headers[.xContentTypeOptions] == "nosniff")
                    #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                    // API responses are data: their policy allows nothing at all (hardening 12: it allowed inline styles).
                    #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
                    #expect(response.headers[.contentSecurityPolicy]?.contains("unsafe-inline") == false)
                }
            }
            try await client.execute(uri: "/docs", method: .get) { response in
                // Swagger UI's page keeps its own, which needs inline styles but no inline script.
                if response.status == .ok {
                    #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                    #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == false)
                }
            }
        }
    }

    @Test("a body over the configured limit is 413 in the envelope")
    func bodyLimit() async throws {
        try await withTestApp(["http.max_body_size": "2048"]) { client in
            try await client.execute(uri: "/health", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(repeating: 0x20, count: 4096)) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.body.json["code"] as? String == "payload_too_large")
            }
        }
    }

    @Test("CORS headers only for allow-listed origins; preflight answered 204")
    func cors() async throws {
        try await withTestApp(["http.cors.allowed_origins": "https://app.example.com, https://other.example.com"]) { client in
            try await client.execute(uri: "/health", method: .get, headers: [.origin: "https://app.example.com"]) { response in
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example.com")
            }
            try await client.execute(uri: "/health", method: .get, headers: [.origin: "https://evil.example.com"]) { response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
            try await client.execute(
                uri: "/health", method: .options, headers: [.origin: "https://other.example.com", .accessControlRequestMethod: "GET"]
            ) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowMethods]?.contains("GET") == true)
            }
        }
        try await withTestApp { client in
            try await client.execute(uri: "/health", method: .get, headers: [.origin: "https://app.example.com"]) { response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test("metrics use the route template and one label for unmatched paths")
    func metrics() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withTestApp(registry: registry) { client in
            try await client.execute(uri: "/health", method: .get) { _ in }
            try await client.execute(uri: "/docs/swagger-ui.css", method: .get) { _ in }
            try await client.execute(uri: "/random/abc", method: .get) { _ in }
            try await client.execute(uri: "/random/def", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"http_requests_total{method="GET",endpoint="/health",status="200"} 1"#))
                #expect(text.contains(#"endpoint="/docs/{file}""#))
                #expect(text.contains(#"http_requests_total{method="GET",endpoint="unmatched",status="404"} 2"#))
                #expect(!text.contains("/random"))
                #expect(text.contains(#"http_request_duration_seconds_bucket{method="GET",endpoint="/health""#))
                #expect(text.contains(#"http_requests_in_progress{method="GET",endpoint="/metrics"} 1"#))
            }
        }
    }

    @Test("metrics can require a bearer token")
    func metricsToken() async throws {
        try await withTestApp(["metrics.token": "t0ken"]) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.body.json["code"] as? String == "unauthorized")
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer t0ken"]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("/docs explains how to fetch missing Swagger UI files; other files are 404")
    func docsWithoutAssets() async throws {
        try await withTestApp { client in
            try await client.execute(uri: "/docs", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect((response.body.json["detail"] as? String)?.contains("make assets") == true)
            }
            try await client.execute(uri: "/docs/swagger-initializer.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("/openapi.json"))
            }
            try await client.execute(uri: "/docs/..%2Fhyperion.sqlite", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
