import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `hyperion ingest`: uploads files and folders into a RAG model through a running server's API, shows
/// progress and ends with a summary of what failed and why.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Upload files or folders (recursively) into a RAG model through the server's API."
    )

    @Option(help: "RAG model name (created, private, when you have none by that name).") var model: String
    @Option(help: "Server URL (env HYPERION_URL).") var url: String?
    @Option(help: "API key (env HYPERION_API_KEY); create one with POST /api/v1/auth/api-keys.") var apiKey: String?
    @Option(help: "Files per upload request.") var batch: Int = 16
    @Option(help: "Comma-separated tags for every document.") var tags: String?
    @Argument(help: "Files and folders.") var paths: [String]

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard !paths.isEmpty else { throw ValidationError("give at least one file or folder") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let base = (url ?? environment["HYPERION_URL"] ?? "http://127.0.0.1:8080").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let key = apiKey ?? environment["HYPERION_API_KEY"], !key.isEmpty else {
            throw ValidationError("an API key is needed: --api-key or HYPERION_API_KEY")
        }
        let client = APIClient(base: base, key: key)
        let files = try Self.collect(paths)
        guard !files.isEmpty else { throw ValidationError("no files found in \(paths.joined(separator: ", "))") }
        do {
            try await ingest(files: files, client: client)
        } catch let error as APIClient.Failure {
            FileHandle.standardError.write(Data("hyperion: error: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func ingest(files: [URL], client: APIClient) async throws {
        let modelID = try await client.modelID(named: model)
        let started = Date()
        var jobs: [String] = []
        var rejected: [(String, String)] = []
        var accepted = 0, duplicates = 0
        let progress = Progress(total: files.count)
        for start in stride(from: 0, to: files.count, by: batch) {
            let slice = Array(files[start..<min(start + batch, files.count)])
            let (status, body) = try await client.upload(modelID: modelID, files: slice, tags: tags)
            if status == 202 {
                if let job = body["job_id"] as? String { jobs.append(job) }
                for file in body["documents"] as? [[String: Any]] ?? [] {
                    switch file["status"] as? String {
                    case "queued": accepted += 1
                    case "duplicate": duplicates += 1
                    default: rejected.append((file["filename"] as? String ?? "?", ((file["error"] as? [String: Any])?["detail"] as? String) ?? "rejected"))
                    }
                }
            } else {
                let detail = body["detail"] as? String ?? "HTTP \(status)"
                for file in slice { rejected.append((file.lastPathComponent, detail)) }
            }
            progress.show("uploaded", start + slice.count, since: started)
        }
        progress.finishLine()
        // Follow the jobs to the end.
        var done = 0
        for job in jobs {
            while true {
                let (_, body) = try await client.get("/api/v1/jobs/\(job)")
                let state = body["status"] as? String ?? "failed"
                let jobDone = (body["progress"] as? [String: Any])?["done"] as? Int ?? 0
                progress.show("ingested", min(accepted, done + jobDone), of: accepted, since: started)
                if ["succeeded", "failed", "canceled"].contains(state) { done += jobDone; break }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        progress.finishLine()
        // What extraction refused (no text, encrypted…) is known once the jobs end, on each document.
        let (_, failed) = try await client.get("/api/v1/models/\(modelID)/documents?status=failed&limit=100")
        let failedDocuments = failed["items"] as? [[String: Any]] ?? []
        for document in failedDocuments {
            rejected.append((document["filename"] as? String ?? "?", document["error"] as? String ?? "failed"))
        }
        accepted = max(0, accepted - failedDocuments.count)
        let (_, detail) = try await client.get("/api/v1/models/\(modelID)")
        let seconds = Date().timeIntervalSince(started)
        print("model \(model): \(detail["document_count"] as? Int ?? 0) documents, \(detail["chunk_count"] as? Int ?? 0) chunks")
        print("\(accepted) ingested, \(duplicates) already there, \(rejected.count) failed, in \(String(format: "%.1f", seconds)) s (\(String(format: "%.1f", Double(accepted) / max(seconds, 0.001))) docs/s)")
        for (name, reason) in rejected { print("  failed: \(name): \(reason)") }
        if !rejected.isEmpty { throw ExitCode(2) }
    }

    /// Every regular, non-hidden file under the paths, sorted.
    static func collect(_ paths: [String]) throws -> [URL] {
        var files: [URL] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ValidationError("\(path) does not exist") }
            let url = URL(fileURLWithPath: path)
            if !isDirectory.boolValue { files.append(url); continue }
            let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
            while let item = walker?.nextObject() as? URL {
                if (try? item.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true { files.append(item) }
            }
        }
        return files.sorted { $0.path < $1.path }
    }
}

/// A one-line progress display on a terminal (plain lines otherwise).
final class Progress {
    let total: Int
    let tty = isatty(2) == 1
    init(total: Int) { self.total = total }

    func show(_ what: String, _ n: Int, of total: Int? = nil, since start: Date) {
        let total = total ?? self.total
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(n) / max(elapsed, 0.001)
        let eta = rate > 0 ? Double(total - n) / rate : 0
        let width = 30
        let filled = total > 0 ? width * n / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = "\(what) \(bar) \(n)/\(total) files  \(String(format: "%.1f", rate))/s  ETA \(Int(eta)) s"
        FileHandle.standardError.write(Data((tty ? "\r\(line)" : "\(line)\n").utf8))
    }

    func finishLine() { if tty { FileHandle.standardError.write(Data("\n".utf8)) } }
}

/// The few API calls `ingest` needs, over URLSession.
struct APIClient {
    struct Failure: Error { let message: String }
    let base: String
    let key: String

    func send(_ method: String, _ path: String, body: Data? = nil, contentType: String? = nil) async throws -> (Int, [String: Any]) {
        guard let url = URL(string: base + path) else { throw Failure(message: "bad server URL \(base)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        request.httpBody = body
        request.timeoutInterval = 600
        let data: Data, response: URLResponse
        do { (data, response) = try await URLSession.shared.data(for: request) } catch {
            throw Failure(message: "cannot reach \(base): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        if status == 401 { throw Failure(message: "the server refused the API key (401)") }
        return (status, json)
    }

    func get(_ path: String) async throws -> (Int, [String: Any]) { try await send("GET", path) }

    /// The id of the caller's model with this name, creating it when there is none.
    func modelID(named name: String) async throws -> String {
        var skip = 0
        while true {
            let (status, page) = try await get("/api/v1/models?skip=\(skip)&limit=100")
            guard status == 200 else { throw Failure(message: "listing models failed: \(page["detail"] as? String ?? "HTTP \(status)")") }
            let items = page["items"] as? [[String: Any]] ?? []
            if let match = items.first(where: { $0["name"] as? String == name }), let id = match["id"] as? String { return id }
            skip += items.count
            if items.isEmpty || skip >= page["total"] as? Int ?? 0 { break }
        }
        let body = try JSONSerialization.data(withJSONObject: ["name": name])
        let (status, created) = try await send("POST", "/api/v1/models", body: body, contentType: "application/json")
        guard status == 201, let id = created["id"] as? String else {
            throw Failure(message: "creating model \(name) failed: \(created["detail"] as? String ?? "HTTP \(status)")")
        }
        FileHandle.standardError.write(Data("created RAG model \(name)\n".utf8))
        return id
    }

    func upload(modelID: String, files: [URL], tags: String?) async throws -> (Int, [String: Any]) {
        let boundary = "hyperion-\(UUID().uuidString)"
        var body = Data()
        if let tags { body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\n\(tags)\r\n".utf8)) }
        for file in files {
            let name = file.lastPathComponent.replacingOccurrences(of: "\"", with: "'")
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
            body.append((try? Data(contentsOf: file)) ?? Data())
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return try await send("POST", "/api/v1/models/\(modelID)/documents", body: body, contentType: "multipart/form-data; boundary=\(boundary)")
    }
}
