import Foundation
import HTTPTypes
import Hummingbird
import HyperionCore

/// The web UI's sign-in across tabs and reloads: the refresh token lives in an `HttpOnly` cookie that only
/// `/api/v1/auth/session` receives, so page scripts (and an XSS) never read it, and only the short-lived access token
/// is in the page. Cross-site requests cannot use it: the cookie is `SameSite=Strict`, and the endpoint also wants
/// the ``csrfHeader`` header, which a cross-site form cannot send and a cross-site script may not without CORS.
/// `Secure` is set when the browser spoke HTTPS (natively or through a trusted proxy's `X-Forwarded-Proto`); on
/// plain HTTP a browser would drop a `Secure` cookie, and signing in would not survive a reload.
struct SessionCookie: Sendable {
    static let name = "hyperion_session"
    static let path = "/api/v1/auth/session"
    static let csrfHeader = HTTPField.Name("X-Hyperion-Session")!
    /// Seconds the cookie lives: the refresh token's lifetime.
    let maxAge: Int

    /// `Set-Cookie` carrying a new refresh token.
    func setting(_ token: String, secure: Bool) -> String {
        "\(Self.name)=\(token); Path=\(Self.path); Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// `Set-Cookie` that removes the cookie.
    func clearing(secure: Bool) -> String {
        "\(Self.name)=; Path=\(Self.path); Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// The refresh token in the request's `Cookie` headers, if any.
    static func token(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    let value = parts[1].trimmingCharacters(in: .whitespaces)
                    return value.isEmpty ? nil : value
                }
            }
        }
        return nil
    }

    /// Refuses a request without the anti-forgery header (403 in the envelope).
    static func requireSameOrigin(_ request: Request) throws {
        guard request.headers[csrfHeader] != nil else {
            throw HyperionError(.forbidden, code: "session_header_missing",
                                message: "cookie sessions need the X-Hyperion-Session header (sent by the web UI)")
        }
    }
}
