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
