import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
@testable import HyperionServer
import Testing

@Suite("LLM connections managed at run time")
struct LLMProvidersTests {
    static let masterKey = Data((0..<32).map { UInt8($0) }).base64EncodedString()
    static let otherKey = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()
    static let secret = "sk-test-NEVER-SHOWN-4711"

    /// Every byte of the data directory's files, as text (the SQLite database and its write-ahead log included).
    static func everythingStored(under dir: String) throws -> String {
        var text = ""
        for case let path as String in FileManager.default.enumerator(atPath: dir) ?? FileManager.default.enumerator(atPath: "/nonexistent")! {
            if let data = FileManager.default.contents(atPath: dir + "/" + path) { text += String(decoding: data, as: UTF8.self) }
        }
        return text
    }

    @Test("sealed values open only with their key and in their place; older keys still open; bad keys are refused clearly")
    func secretBox() throws {
        let box = try SecretBox(master: try SecretBox.key(Self.masterKey, field: "k"))
        let sealed = try box.seal(Self.secret, context: "llm_provider:a:api_key")
        #expect(sealed.hasPrefix("v1.") && !sealed.contains(Self.secret))
        #expect(try box.open(sealed, context: "llm_provider:a:api_key") == Self.secret)
        #expect(try box.seal(Self.secret, context: "x") != box.seal(Self.secret, context: "x"), "a fresh nonce each time")
        #expect { try box.open(sealed, context: "llm_provider:b:api_key") } throws: { ($0 as? HyperionError)?.code == "secret_unreadable" }
        // One bit of the ciphertext flipped (in the bytes: a base64 character can differ only in padding bits).
        let parts = sealed.split(separator: ".", maxSplits: 2).map(String.init)
        var bytes = try #require(Data(base64Encoded: parts[2]))
        bytes[bytes.count - 5] ^= 0x01
        let damaged = "\(parts[0]).\(parts[1]).\(bytes.base64EncodedString())"
        #expect { try box.open(damaged, context: "llm_provider:a:api_key") } throws: { ($0 as? HyperionError)?.code == "secret_unreadable" }
        // Rotation: a new master key with the old one among the previous keys opens old values; the old key alone does not
        // open new ones, and says which key is missing.
        let rotated = try SecretBox(master: try SecretBox.key(Self.otherKey, field: "k"), previous: [try SecretBox.key(Self.masterKey, field: "k")])
        #expect(try rotated.open(sealed, context: "llm_provider:a:api_key") == Self.secret)
        let newer = try rotated.seal("new", context: "c")
        #expect { try box.open(newer, context: "c") } throws: {
            ($0 as? HyperionError)?.code == "secret_key_missing" && (($0 as? HyperionError)?.message.contains(rotated.currentID) ?? false)
        }
        #expect { try SecretBox.key("c2hvcnQ=", field: "secrets.master_key") } throws: { ($0 as? HyperionError)?.field == "secrets.master_key" }
    }

    @Test("admins add, list, test, change and remove providers; the key is write-only and stored only encrypted")
    func lifecycle() async throws {
        let dir = testDataDirectory("llm-providers")
        let app = try await testApp(dataDirectory: dir, ["secrets.master_key": Self.masterKey])
        try await app.test(.router) { client in
            try await client.signup("admin@example.com")
            try await client.signup("user@example.com")
            let admin = try await client.login("admin@example.com").access
            let user = try await client.login("user@example.com").access

            let body: [String: Any] = ["name": "office", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": Self.secret, "model": "gpt-test"]
            #expect(try await client.json(.post, "/api/v1/llm/providers", body, token: user).status == .forbidden)
            let created = try await client.json(.post, "/api/v1/llm/providers", body, token: admin)
            #expect(created.status == .created)
            #expect(created.body["has_api_key"] as? Bool == true && created.body["source"] as? String == "runtime" && created.body["model"] as? String == "gpt-test")
            #expect(try await client.json(.post, "/api/v1/llm/providers", body, token: admin).body["code"] as? String == "provider_exists")
            for (bad, field) in [(["name": "1x", "kind": "openai"], "name"), (["name": "extractive", "kind": "openai"], "name"),
                                 (["name": "x", "kind": "gopher"], "kind"), (["name": "x", "kind": "openai", "base_url": "ftp://h"], "base_url"),
                                 (["name": "x", "kind": "openai", "connect_timeout_ms": 5], "connect_timeout_ms")] as [([String: Any], String)] {
                let refused = try await client.json(.post, "/api/v1/llm/providers", bad, token: admin)
                #expect(refused.status == .unprocessableContent && refused.body["field"] as? String == field, "\(bad)")
            }

            let list = try await client.execute(uri: "/api/v1/llm/providers", method: .get, headers: [.authorization: "Bearer \(admin)"]) { String(buffer: $0.body) }
            #expect(list.contains("\"office\"") && list.contains("\"secrets_configured\":true") && !list.contains(Self.secret))
            // Users see it among the providers they may choose (without its address or settings).
            let models = try await client.json(.get, "/api/v1/llm/models", token: user)
            #expect((models.body["items"] as? [[String: Any]])?.contains { $0["name"] as? String == "office" } == true)

            let test = try await client.json(.post, "/api/v1/llm/providers/office/test", token: admin)
            #expect(test.status == .ok && test.body["reachable"] as? Bool == false && (test.body["error"] as? String)?.isEmpty == false)
            #expect(try await client.json(.post, "/api/v1/llm/providers/nothing/test", token: admin).status == .notFound)

            let patched = try await client.json(.patch, "/api/v1/llm/providers/office", ["model": NSNull(), "api_key": NSNull(), "base_url": "http://127.0.0.1:10/v1"], token: admin)
            #expect(patched.status == .ok, "\(patched.body)")
            #expect(patched.body["has_api_key"] as? Bool == false && patched.body["model"] is NSNull, "\(patched.body)")
            #expect(patched.body["has_api_key"] as? Bool == false
                    && patched.body["base_url"] as? String == "http://127.0.0.1:10/v1")
            let rekeyed = try await client.json(.patch, "/api/v1/llm/providers/office", ["api_key": Self.secret + "2"], token: admin)
            #expect(rekeyed.body["has_api_key"] as? Bool == true)

            // The default provider, chosen at run time; unknown names refused.
            #expect(try await client.json(.put, "/api/v1/llm/default", ["provider": "office"], token: admin).body["provider"] as? String == "office")
            #expect(try await client.json(.get, "/api/v1/llm/models", token: user).body["default_provider"] as? String == "office")
            #expect(try await client.json(.put, "/api/v1/llm/default", ["provider": "nope"], token: admin).status == .unprocessableContent)
            #expect(try await client.json(.put, "/api/v1/llm/default", ["provider": NSNull()], token: admin).body["provider"] as? String == "extractive")
        }
        let stored = try Self.everythingStored(under: dir)
        #expect(stored.contains("office") && !stored.contains(Self.secret), "the key is nowhere on disk in plain text")

        // Started again with another master key: the provider is listed with why it cannot be used; the server runs.
        let wrong = try await testApp(dataDirectory: dir, ["secrets.master_key": Self.otherKey])
        try await wrong.test(.router) { client in
            let admin = try await client.login("admin@example.com").access
            let list = try await client.json(.get, "/api/v1/llm/providers", token: admin)
            let office = (list.body["items"] as? [[String: Any]])?.first { $0["name"] as? String == "office" }
            #expect((office?["error"] as? String)?.contains("neither secrets.master_key") == true, "\(String(describing: office))")
            // Removing it works even so.
            #expect(try await client.json(.delete, "/api/v1/llm/providers/office", token: admin).status == .noContent)
            #expect(try await client.json(.delete, "/api/v1/llm/providers/office", token: admin).status == .notFound)
        }
    }

    @Test("a provider in use is not removed unless forced (its knowledge bases go back to the default); every change is audited")
    func inUseAndAudited() async throws {
        let app = try await testApp(dataDirectory: testDataDirectory("llm-in-use"), ["secrets.master_key": Self.masterKey])
        try await app.test(.router) { client in
            try await client.signup("admin@example.com")
            let admin = try await client.login("admin@example.com").access
            let body: [String: Any] = ["name": "office", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": Self.secret]
            #expect(try await client.json(.post, "/api/v1/llm/providers", body, token: admin).status == .created)
            #expect(try await client.json(.patch, "/api/v1/llm/providers/office", ["model": "gpt-x", "api_key": NSNull()], token: admin).status == .ok)
            #expect(try await client.json(.put, "/api/v1/llm/default", ["provider": "office"], token: admin).status == .ok)
            let model = try await client.createModel("Handbook", token: admin, extra: ["llm": ["provider": "office", "model": "gpt-x"]])

            let refused = try await client.json(.delete, "/api/v1/llm/providers/office", token: admin)
            #expect(refused.status == .conflict && refused.body["code"] as? String == "provider_in_use")
            #expect((refused.body["detail"] as? String)?.contains("'Handbook'") == true, "\(refused.body)")
            #expect(try await client.json(.get, "/api/v1/llm/providers", token: admin).body["items"].map { "\($0)".contains("office") } == true)
            #expect(try await client.json(.delete, "/api/v1/llm/providers/office?force=true", token: admin).status == .noContent)
            let after = try await client.json(.get, "/api/v1/models/\(model)", token: admin)
            let llm = after.body["llm"] as? [String: Any]
            #expect(llm?["provider"] is NSNull && llm?["model"] is NSNull, "\(after.body)")

            let audit = try await client.json(.get, "/api/v1/audit?limit=20", token: admin)
            let events = (audit.body["items"] as? [[String: Any]] ?? []).filter { ($0["type"] as? String)?.hasPrefix("llm_") == true }
            #expect(events.compactMap { $0["type"] as? String } == ["llm_provider_removed", "llm_default_changed", "llm_provider_changed", "llm_provider_added"])
            #expect(events.allSatisfy { $0["actor_id"] as? String != nil })
            let details = events.compactMap { $0["detail"] as? String }.joined(separator: " | ")
            #expect(details.contains("key set") && details.contains("key removed") && details.contains("model=gpt-x") && details.contains("1 knowledge bases"))
            #expect(!details.contains(Self.secret))
        }
    }

    @Test("without a master key keys are refused (providers without one are fine); configured providers are read-only")
    func readOnlyAndNoSecrets() async throws {
        try await withTestApp(["llm.providers": "cfg", "llm.cfg.kind": "ollama", "llm.cfg.base_url": "http://127.0.0.1:9"]) { client in
            try await client.signup("admin@example.com")
            let admin = try await client.login("admin@example.com").access
            let keyed = try await client.json(.post, "/api/v1/llm/providers", ["name": "cloud", "kind": "openai", "api_key": "sk-x"], token: admin)
            #expect(keyed.status == .conflict && keyed.body["code"] as? String == "secrets_not_configured" && keyed.body["field"] as? String == "api_key")
            let local = try await client.json(.post, "/api/v1/llm/providers", ["name": "local", "kind": "ollama", "base_url": "http://127.0.0.1:9"], token: admin)
            #expect(local.status == .created && local.body["has_api_key"] as? Bool == false)
            #expect(try await client.json(.post, "/api/v1/llm/providers", ["name": "cfg", "kind": "ollama"], token: admin).body["code"] as? String == "provider_exists")
            #expect(try await client.json(.patch, "/api/v1/llm/providers/cfg", ["model": "x"], token: admin).body["code"] as? String == "provider_read_only")
            #expect(try await client.json(.delete, "/api/v1/llm/providers/cfg", token: admin).body["code"] as? String == "provider_read_only")
            let list = try await client.json(.get, "/api/v1/llm/providers", token: admin)
            let items = try #require(list.body["items"] as? [[String: Any]])
            #expect(items.map { $0["name"] as? String } == ["cfg", "local"] && items[0]["editable"] as? Bool == false && list.body["secrets_configured"] as? Bool == false)
        }
    }

    @Test("base URLs aimed at link-local or cloud metadata addresses are refused naming the field, unless allowed")
    func metadataAddresses() async throws {
        try await withTestApp { client in
            try await client.signup("admin@example.com")
            let admin = try await client.login("admin@example.com").access
            for (index, url) in ["http://169.254.169.254/latest", "http://metadata.google.internal/v1", "http://[fe80::1]:11434",
                                 "http://100.100.100.200", "http://METADATA.GOOGLE.INTERNAL./"].enumerated() {
                let added = try await client.json(.post, "/api/v1/llm/providers", ["name": "m\(index)", "kind": "ollama", "base_url": url], token: admin)
                #expect(added.status == .unprocessableContent && added.body["field"] as? String == "base_url", "\(url): \(added.body)")
            }
            // Loopback and private networks stay allowed, and so does a name that resolves to them.
            for (index, url) in ["http://127.0.0.1:9", "http://localhost:9", "http://10.1.2.3:11434", "http://[::1]:9"].enumerated() {
                let added = try await client.json(.post, "/api/v1/llm/providers", ["name": "ok\(index)", "kind": "ollama", "base_url": url], token: admin)
                #expect(added.status == .created, "\(url): \(added.body)")
            }
            let moved = try await client.json(.patch, "/api/v1/llm/providers/ok0", ["base_url": "http://169.254.170.2/v2"], token: admin)
            #expect(moved.status == .unprocessableContent && moved.body["field"] as? String == "base_url")
            #expect(try await client.json(.get, "/api/v1/llm/providers", token: admin).body["items"].map { "\($0)" }?.contains("169.254") == false)
        }
        try await withTestApp(["outbound.allow_link_local": "true"]) { client in
            try await client.signup("admin@example.com")
            let admin = try await client.login("admin@example.com").access
            let added = try await client.json(.post, "/api/v1/llm/providers", ["name": "meta", "kind": "ollama", "base_url": "http://169.254.169.254"], token: admin)
            #expect(added.status == .created, "allowed by configuration: \(added.body)")
        }
        // The configuration's own providers and embedding endpoint: refused at start naming the key.
        #expect(throws: HyperionError.self) {
            _ = try ServerSettings(reader: testReader(["llm.providers": "cloud", "llm.cloud.kind": "openai", "llm.cloud.base_url": "http://169.254.169.254/v1"]))
        }
        do {
            _ = try ServerSettings(reader: testReader(["llm.providers": "cloud", "llm.cloud.kind": "openai", "llm.cloud.base_url": "http://169.254.169.254/v1"]))
        } catch let error as HyperionError {
            #expect(error.field == "llm.cloud.base_url" && error.message.contains("outbound.allow_link_local"))
        }
        #expect(OutboundURLPolicy.resolve("localhost").contains { $0 == "127.0.0.1" || $0 == "::1" })
    }

    @Test("a question may name another provider (or extractive); unknown ones are refused naming the field")
    func perQuestionProvider() async throws {
        try await withTestApp(chatModels: ["scripted": ScriptedChatModel { _ in "Scripted says hi [1]." }]) { client in
            try await client.signup("admin@example.com")
            let admin = try await client.login("admin@example.com").access
            let model = try await client.json(.post, "/api/v1/models", ["name": "kb", "llm": ["provider": "scripted"]], token: admin)
            let id = try #require(model.body["id"] as? String)
            let boundary = "b0undary"
            let upload = ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nThe heat pump failed in March.\r\n--\(boundary)--\r\n")
            let job = try await client.execute(uri: "/api/v1/models/\(id)/documents", method: .post,
                                               headers: [.authorization: "Bearer \(admin)", .contentType: "multipart/form-data; boundary=\(boundary)"], body: upload) { $0.body.json }
            let jobID = try #require(job["job_id"] as? String)
            for _ in 0..<200 {
                if try await client.json(.get, "/api/v1/jobs/\(jobID)", token: admin).body["status"] as? String == "succeeded" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let llm = try await client.json(.post, "/api/v1/query", ["model_id": id, "query": "What failed?"], token: admin)
            #expect(llm.body["extractive"] as? Bool == false && (llm.body["answer"] as? String)?.contains("Scripted") == true)
            let quoted = try await client.json(.post, "/api/v1/query", ["model_id": id, "query": "What failed?", "provider": "extractive"], token: admin)
            #expect(quoted.body["extractive"] as? Bool == true && (quoted.body["answer"] as? String)?.contains("heat pump") == true, "\(quoted.body)")
            let unknown = try await client.json(.post, "/api/v1/query", ["model_id": id, "query": "What failed?", "provider": "nope"], token: admin)
            #expect(unknown.status == .unprocessableContent && unknown.body["field"] as? String == "provider")
        }
    }
}
