import Foundation
import Hummingbird
import HyperionCore
import HyperionServer
import Testing

@Suite("JSON request bodies")
struct JSONBodyTests {
    struct Payload: Decodable {
        struct Inner: Decodable { let count: Int }
        let name: String
        let inner: Inner
        let tags: [String]?
    }

    @Test("malformed JSON is a 400")
    func malformed() {
        #expect {
            _ = try JSONBody.decode(Payload.self, from: Data("{\"name\": ".utf8))
        } throws: { ($0 as? APIError)?.status == .badRequest }
    }

    /// Hardening 12: `top_k: 1e30` answered 400 "not valid JSON" (Foundation reports a number that does not fit
    /// its field as invalid JSON, without a path).
    @Test("a number its field cannot hold is a 422 naming the field, nested too")
    func unfitNumbers() {
        for (body, field) in [(#"{"name":"a","inner":{"count":1e30}}"#, "inner.count"), (#"{"name":"a","inner":{"count":1.5}}"#, "inner.count"),
                              (#"{"name":"a","inner":{"count":99999999999999999999}}"#, "inner.count")] {
            #expect {
                _ = try JSONBody.decode(Payload.self, from: Data(body.utf8))
            } throws: { ($0 as? HyperionError)?.field == field && ($0 as? HyperionError)?.kind == .validation }
        }
        struct Mixed: Decodable { let temperature: Double; let top_k: Int }
        #expect {
            _ = try JSONBody.decode(Mixed.self, from: Data(#"{"temperature":0.7,"top_k":2.5}"#.utf8))
        } throws: { ($0 as? HyperionError)?.field == "top_k" }
        #expect((try? JSONBody.decode(Mixed.self, from: Data(#"{"temperature":1e30,"top_k":3}"#.utf8)))?.top_k == 3, "a Double field takes it")
        #expect {
            _ = try JSONBody.decode(Payload.self, from: Data(#"{"name":"a","inner":{"count":1e30"#.utf8))
        } throws: { ($0 as? APIError)?.status == .badRequest }
    }

    @Test("a missing field is a 422 naming the field")
    func missing() {
        #expect {
            _ = try JSONBody.decode(Payload.self, from: Data(#"{"name":"a"}"#.utf8))
        } throws: { ($0 as? HyperionError)?.field == "inner" && ($0 as? HyperionError)?.kind == .validation }
    }

    @Test("a wrong type names the nested path")
    func wrongType() {
        #expect {
            _ = try JSONBody.decode(Payload.self, from: Data(#"{"name":"a","inner":{"count":"x"}}"#.utf8))
        } throws: { error in
            guard let error = error as? HyperionError else { return false }
            return error.field == "inner.count" && error.message.contains("an integer")
        }
        #expect {
            _ = try JSONBody.decode(Payload.self, from: Data(#"{"name":"a","inner":{"count":1},"tags":[1]}"#.utf8))
        } throws: { ($0 as? HyperionError)?.field == "tags[0]" }
    }

    @Test("a valid body decodes")
    func valid() throws {
        let payload = try JSONBody.decode(Payload.self, from: Data(#"{"name":"a","inner":{"count":3}}"#.utf8))
        #expect(payload.inner.count == 3)
    }
}
