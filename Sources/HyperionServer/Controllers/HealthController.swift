import Foundation
import Hummingbird

/// `GET /health` (liveness: no I/O) and `GET /ready` (readiness: every registered check passes).
struct HealthController {
    let version: String
    let checks: [ReadinessCheck]

    struct Health: Encodable {
        let status: String
        let version: String
    }

    struct Ready: ResponseEncodable {
        let status: String
        let checks: [String: String]
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        // Encoded once: liveness probes are the most frequent request a server gets.
        let health = ByteBuffer(bytes: (try? JSONEncoder().encode(Health(status: "ok", version: version))) ?? Data())
        router.get("/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: health))
        }
        router.get("/ready") { _, context in try await ready(context) }
    }

    private func ready(_ context: AppRequestContext) async throws -> Ready {
        var results: [String: String] = [:]
        var failing: [String] = []
        var degraded = false
        for check in checks {
            let reason: String
            do {
                try await check.run()
                results[check.name] = "ok"
                continue
            } catch let failure as ReadinessFailure {
                reason = failure.description
            } catch {
                reason = "failed"
                context.logger.warning("readiness check failed", metadata: ["check": "\(check.name)", "error": "\(error)"])
            }
            if check.critical {
                results[check.name] = reason
                failing.append(reason == "failed" ? check.name : "\(check.name) (\(reason))")
            } else {
                results[check.name] = "degraded: " + reason
                degraded = true
            }
        }
        guard failing.isEmpty else {
            throw APIError(.serviceUnavailable, code: "not_ready", detail: "not ready: \(failing.joined(separator: ", "))")
        }
        return Ready(status: degraded ? "degraded" : "ready", checks: results)
    }
}
