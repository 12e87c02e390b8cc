import Foundation
import HyperionCore
import HyperionEmbedding
import HyperionExtract
@testable import HyperionServer

/// Fuzz targets for what reads user input: the extractors, the format detector, the multipart reader, the
/// WordPiece tokenizer and JSON request bodies. Each takes arbitrary bytes and may only throw the errors its API
/// documents: a crash, a hang or runaway memory is a bug (libFuzzer reports them).
///
/// `make fuzz` builds this with `-sanitize=fuzzer` (libFuzzer drives `LLVMFuzzerTestOneInput`, the target chosen by
/// `HYPERION_FUZZ_TARGET`); an ordinary build makes a replayer that runs every file of `Fuzz/corpus/<target>/`
/// through its target, which `make test` does, so each input that once crashed stays a regression test.
enum FuzzTargets {
    static let all: [String: @Sendable (Data) -> Void] = [
        "docx": { _ = try? TextExtractor.extract($0, format: .docx) },
        "html": { _ = try? TextExtractor.extract($0, format: .html) },
        "markdown": { _ = try? TextExtractor.extract($0, format: .markdown) },
        "text": { _ = try? TextExtractor.extract($0, format: .text) },
        "format": { data in
            if let format = try? FormatDetector.detect(data, filename: nil) { _ = try? TextExtractor.extract(data, format: format) }
        },
        "multipart": multipart,
        "wordpiece": wordpiece,
        "json": json,
    ]

    /// The first line is a Content-Disposition or Content-Type value, the rest a body in parts of 64 bytes.
    static func multipart(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        let header = text.prefix { $0 != "\n" }
        _ = MultipartForm.parameters(String(header))
        guard let boundary = MultipartForm.boundary(of: "multipart/form-data; " + header) else { return }
        let parser = MultipartStream(boundary: boundary)
        parser.onHeader = { _, value in _ = MultipartForm.parameters(value) }
        let body = Array(data.dropFirst(header.utf8.count))
        for start in stride(from: 0, to: body.count, by: 64) {
            guard (try? parser.execute(body[start..<min(start + 64, body.count)])) != nil else { return }
        }
    }

    static let tokenizer: SentenceEmbedder? = {
        let path = ProcessInfo.processInfo.environment["HYPERION_FUZZ_MODEL"] ?? "data/models/all-MiniLM-L6-v2"
        return try? SentenceEmbedder(modelFolder: URL(fileURLWithPath: path), threads: 1)
    }()

    static func wordpiece(_ data: Data) {
        guard let tokenizer else { fatalError("no model for the tokenizer target: set HYPERION_FUZZ_MODEL or run make models") }
        let text = String(decoding: data, as: UTF8.self)
        let ids = tokenizer.tokenize(text)
        precondition(ids.count <= tokenizer.maxSequenceLength && ids.first == 101 && ids.last == 102, "malformed input_ids")
        _ = tokenizer.pieceCount(text)
    }

    struct Body: Decodable {
        struct Inner: Decodable { let count: Int; let ratio: Double?; let flags: [Bool]? }
        let query: String
        let top_k: Int?
        let inner: Inner?
        let tags: [String]?
        let metadata: [String: JSONValue]?
    }

    static func json(_ data: Data) {
        do {
            _ = try JSONBody.decode(Body.self, from: data)
        } catch is APIError {
        } catch let error as HyperionError {
            precondition(error.kind == .validation && error.field != nil, "a JSON error must name its field: \(error)")
        } catch {
            preconditionFailure("JSON bodies throw only the envelope's errors, not \(error)")
        }
    }

    static var selected: @Sendable (Data) -> Void {
        let name = ProcessInfo.processInfo.environment["HYPERION_FUZZ_TARGET"] ?? ""
        guard let target = all[name] else { fatalError("HYPERION_FUZZ_TARGET must be one of \(all.keys.sorted())") }
        return target
    }
}

/// `hyperion-fuzz`: under libFuzzer (built with `-DFUZZING`) hands control to its driver; otherwise replays the
/// corpora, `hyperion-fuzz CORPUS_DIR` running every `CORPUS_DIR/<target>/*` through its target.
@main
struct FuzzMain {
    static func main() throws {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
        #else
        let root = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? "Fuzz/corpus")
        var replayed = 0
        for name in FuzzTargets.all.keys.sorted() {
            let folder = root.appendingPathComponent(name)
            guard let files = try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil) else { continue }
            for file in files.sorted(by: { $0.path < $1.path }) {
                FuzzTargets.all[name]!(try Data(contentsOf: file))
                replayed += 1
            }
        }
        print("replayed \(replayed) corpus inputs through \(FuzzTargets.all.count) fuzz targets")
        if replayed == 0 { throw CocoaError(.fileNoSuchFile) }
        #endif
    }
}

#if FUZZING
let fuzzTarget = FuzzTargets.selected

/// libFuzzer's entry for programs with their own `main` (SwiftPM names an executable's entry point itself).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzTarget(start.map { Data(bytes: $0, count: count) } ?? Data())
    return 0
}
#endif
